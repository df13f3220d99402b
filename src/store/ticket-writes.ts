// The one write the API makes to a ticket: the PATCH of its two externally owned fields.
import type { Ticket } from '../contract/ticket.js'
import type { TicketPatch } from '../contract/ticket-patch.js'
import type { ProviderScope } from './provider-scope.js'

export type UpdateOutcome =
  | { status: 'updated'; ticket: Ticket }
  | { status: 'not-found' }
  | { status: 'precondition-failed'; ticket: Ticket }

export interface TicketWrites {
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
}
