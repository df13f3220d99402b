// The lifecycle's seam: what one transaction of a ticket operation may read and write. The
// domain (src/domain/lifecycle) decides; a ledger only runs statements, inside the one
// transaction that `LedgerStore.transact` opened, so a change, its event and everything it
// drags along (a partner's ticket, an outsource, an idempotency record) commit together or not
// at all.
import type { TicketChanges, TicketRecord } from '../domain/lifecycle/ticket-record.js'

export interface LockedTicket {
  record: TicketRecord
  /** The stored wire document, for the ETag a precondition compares. */
  document: string
  /** The ticket's newest event id, so the next one can be made greater. */
  lastEventId: string | null
}

export interface WrittenTicket {
  record: TicketRecord
  document: string
}

export interface NewEvent {
  id: string
  providerId: string
  ticketId: string
  type: string
  occurredAt: string
  /** The event as the API sends it. */
  doc: string
}

export interface CancelReasonRecord {
  id: number
  name: string
  allows_ticket_reopening: boolean
  customer_fault: boolean
  manually_applicable: boolean
  system_use: 'reclaim' | 'automatic' | null
}

export interface OutsourceRecord {
  id: string
  provider_id: string
  ticket_id: string
  partner_provider_id: string
  partner_ticket_id: string
  state: 'pending' | 'in_progress' | 'closed' | 'cancelled'
  ticket_number: number | bigint
  assigned_at: string | null
  cancel_reason_id: number | null
  created_at: string
  finished_at: string | null
  operator_channel_id: string
}

export interface StoredResponse {
  requestHash: string
  status: number
  location: string | null
  body: string
}

/** A new ticket: every stored field but the ones the database fills (doc, updated_at = created_at). */
export type NewTicketRecord = Omit<TicketRecord, 'updated_at'>

export interface TicketLedger {
  /** Locks the ticket for the rest of the transaction; another provider's ticket is undefined. */
  lockTicket(providerId: string, id: string): Promise<LockedTicket | undefined>
  /** Locks a ticket of any provider: only for following an outsource from one side to the other. */
  lockLinkedTicket(id: string): Promise<LockedTicket | undefined>
  /** Applies the changes to a locked ticket and appends its event, in one statement. */
  updateTicket(before: TicketRecord, changes: TicketChanges, now: Date, event: NewEvent): Promise<WrittenTicket>
  insertTicket(ticket: NewTicketRecord, event: NewEvent): Promise<WrittenTicket>
  nextTicketNumber(): Promise<number | bigint>

  cancelReason(id: number | bigint): Promise<CancelReasonRecord | undefined>
  systemCancelReason(use: 'reclaim' | 'automatic'): Promise<CancelReasonRecord>
  arePartners(providerId: string, partnerId: string): Promise<boolean>

  insertOutsource(outsource: OutsourceRecord): Promise<void>
  /** The outsource in progress (pending or in_progress), locked, by either of its tickets. */
  activeOutsource(by: { ticketId: string } | { partnerTicketId: string }): Promise<OutsourceRecord | undefined>
  updateOutsource(
    id: string,
    changes: Partial<Pick<OutsourceRecord, 'state' | 'assigned_at' | 'cancel_reason_id' | 'finished_at'>>,
  ): Promise<void>

  /** The answer kept for this key, unless it is older than `since`. */
  storedResponse(clientId: string, key: string, since: Date): Promise<StoredResponse | undefined>
  /** Keeps the answer; false when another request with the same key got there first. */
  storeResponse(clientId: string, key: string, response: StoredResponse, now: Date, since: Date): Promise<boolean>
}

/** What an operation that changes one ticket once needs: a PATCH (it never changes the state). */
export type TicketWriter = Pick<TicketLedger, 'lockTicket' | 'updateTicket'>

export interface LedgerStore {
  /**
   * Runs `work` in one transaction. A deadlock or serialization failure (two operations
   * following an outsource from opposite ends) rolls back and runs `work` again.
   */
  transact<T>(work: (ledger: TicketLedger) => Promise<T>): Promise<T>
  /**
   * Runs `work` that reads one ticket and changes it once, without holding a transaction open
   * across round trips: `lockTicket` reads the ticket without locking it, and `updateTicket`
   * writes (ticket and event, one statement) only if the row is still the version read. When
   * another writer got there first, `work` runs again on the new row; after a few such losses it
   * runs in `transact`, under the row's lock, so a hot ticket cannot starve it. The outcome is
   * the one `transact` would give; it takes two round trips instead of four.
   */
  writeOnce<T>(work: (writer: TicketWriter) => Promise<T>): Promise<T>
}

/** Thrown by work that lost a race it can only win by running again (see `transact`). */
export class RetryTransaction extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'RetryTransaction'
  }
}
