// Reads beside the tickets: the cancel-reason catalogue, outsources, partnerships and each
// ticket's history. Small interfaces, one per resource, all served by lifecycle-reads-sql.ts.
import type { CancelReason } from '../contract/cancel-reason.js'
import type { Outsource } from '../contract/outsource.js'
import type { ProviderScope } from './provider-scope.js'

export interface Page {
  limit: number
  offset: number | bigint
}

export interface CancelReasonStore {
  listCancelReasons(page: Page): Promise<{ result: CancelReason[]; total: number }>
  getCancelReason(id: number | bigint): Promise<CancelReason | undefined>
  addCancelReason(reason: Omit<CancelReason, 'id'> & { id?: number }): Promise<CancelReason>
}

export interface OutsourceFilters {
  ticket_id?: string
  state?: Outsource['state']
  provider_id?: string
}

export interface OutsourceStore {
  listOutsources(scope: ProviderScope, filters: OutsourceFilters, page: Page): Promise<{ result: Outsource[]; total: number }>
  getOutsource(scope: ProviderScope, id: string): Promise<Outsource | undefined>
}

export interface Partnership {
  providerId: string
  partnerId: string
  createdAt: string
}

export interface PartnershipStore {
  /** Returns false when the two are partners already. */
  addPartnership(providerId: string, partnerId: string): Promise<boolean>
  /** Returns false when the two were not partners. */
  removePartnership(providerId: string, partnerId: string): Promise<boolean>
  listPartnerships(providerId?: string): Promise<Partnership[]>
}

export interface TicketHistoryStore {
  /** The ticket's events as JSON documents, oldest first; undefined when the ticket is not the provider's. */
  ticketEvents(scope: ProviderScope, ticketId: string, options: { limit: number; afterId?: string }): Promise<string[] | undefined>
}
