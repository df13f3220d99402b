// The one seam between the service and its storage. Both stores (PostgreSQL and embedded
// PGlite) implement it with the same SQL; the shared contract suite proves they agree.
import type { Scope } from '../contract/oauth.js'
import type { Ticket } from '../contract/ticket.js'
import type { TicketPatch } from '../contract/ticket-patch.js'
import type { TicketQuery } from '../domain/ticket-query.js'
import type { CursorPosition } from '../domain/cursor.js'

/** The tenancy key: every ticket read or write is confined to one provider. */
export interface ProviderScope {
  providerId: string
}

/** A page whose tickets are already serialized: a JSON array of Ticket objects. */
export interface TicketPageJson {
  resultJson: string
  total: number
  /** The number of tickets in resultJson. */
  rows: number
  /** Set when more tickets follow: the last ticket's position, for the `next` cursor. */
  next?: CursorPosition
}

export type UpdateOutcome =
  | { status: 'updated'; ticket: Ticket }
  | { status: 'not-found' }
  | { status: 'precondition-failed'; ticket: Ticket }

export interface ApiClient {
  clientId: string
  providerId: string
  name: string
  scopes: Scope[]
  secretHash: string
  createdAt: string
  revokedAt: string | null
}

export interface NewApiClient {
  clientId: string
  providerId: string
  name: string
  scopes: Scope[]
  secretHash: string
}

/** One validated import line: the ticket and its owner. */
export interface ImportTicket {
  line: number
  providerId: string
  ticket: Ticket
}

export interface ImportResult {
  inserted: number
  updated: number
  unchanged: number
}

export interface ExportedTicket {
  providerId: string
  ticket: Ticket
}

export interface TicketStore {
  readonly kind: 'postgres' | 'embedded'
  /** A page of tickets, serialized by the database (the list endpoint's path). */
  listTicketsJson(scope: ProviderScope, query: TicketQuery): Promise<TicketPageJson>
  /** The ticket as the API sends it: its stored document (migration 0005). */
  getTicketDocument(scope: ProviderScope, id: string): Promise<string | undefined>
  /**
   * Applies the patch and sets updated_at to `now`, atomically. `precondition` sees the
   * current ticket inside the same transaction (If-Match); returning false aborts.
   */
  updateTicket(
    scope: ProviderScope,
    id: string,
    patch: TicketPatch,
    options: { now: Date; precondition?: (current: Ticket) => boolean },
  ): Promise<UpdateOutcome>
  /** All or nothing: any invalid or conflicting line rolls the whole import back. */
  importTickets(tickets: AsyncIterable<ImportTicket[]>, onProgress?: (lines: number) => void): Promise<ImportResult>
  exportTickets(providerId?: string): AsyncIterable<ExportedTicket[]>

  createClient(client: NewApiClient): Promise<ApiClient>
  findClient(clientId: string): Promise<ApiClient | undefined>
  listClients(): Promise<ApiClient[]>
  /** Swaps the client's secret hash for an equivalent one, only if it still is `previous`. */
  replaceSecretHash(clientId: string, previous: string, next: string): Promise<void>
  /** Returns false when no such client exists. Revoking twice keeps the first time. */
  revokeClient(clientId: string, now: Date): Promise<boolean>

  ping(): Promise<void>
  close(): Promise<void>
}
