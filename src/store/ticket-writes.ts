// The one write the API makes to a ticket: the PATCH of its two externally owned fields.
import type { TicketPatch } from '../contract/ticket-patch.js'
import type { ProviderScope } from './provider-scope.js'

/** Outcomes that have a ticket carry its stored document: the body GET sends, byte for byte. */
export type UpdateOutcome =
  { status: 'updated'; document: string } | { status: 'not-found' } | { status: 'precondition-failed'; document: string }

export interface TicketWrites {
  /**
   * Applies the patch and sets updated_at to `now`, atomically. `precondition` sees the
   * current document inside the same transaction (If-Match); returning false aborts.
   */
  updateTicket(
    scope: ProviderScope,
    id: string,
    patch: TicketPatch,
    options: { now: Date; precondition?: (currentDocument: string) => boolean },
  ): Promise<UpdateOutcome>
}
