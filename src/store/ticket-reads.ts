// Reading tickets the way the API sends them: already serialized by the database (the stored
// documents of migration 0005), so the HTTP layer assembles bodies without mapping rows.
import type { CursorPosition } from '../domain/cursor.js'
import type { TicketQuery } from '../domain/ticket-query.js'
import type { ProviderScope } from './provider-scope.js'

/** A page whose tickets are already serialized: a JSON array of Ticket objects. */
export interface TicketPageJson {
  resultJson: string
  total: number
  /** The number of tickets in resultJson. */
  rows: number
  /** Set when more tickets follow: the last ticket's position, for the `next` cursor. */
  next?: CursorPosition
}

export interface TicketReads {
  /** A page of tickets, serialized by the database (the list endpoint's path). */
  listTicketsJson(scope: ProviderScope, query: TicketQuery): Promise<TicketPageJson>
  /** The ticket as the API sends it: its stored document. */
  getTicketDocument(scope: ProviderScope, id: string): Promise<string | undefined>
}
