// What every lifecycle operation is given: who asks, when, and the request's preconditions.
import type { Principal } from '../../auth/bearer.js'
import type { Actor } from '../../contract/ticket-event.js'
import { AppError } from '../../errors/app-error.js'
import type { LockedTicket, TicketLedger } from '../../store/ticket-ledger.js'

export interface Operation {
  principal: Principal
  now: Date
  /** If-Match: sees the locked ticket's stored document; false answers 412 and changes nothing. */
  precondition?: (document: string) => boolean
}

export const actorOf = (principal: Principal): Actor => ({ type: 'client', id: principal.clientId })

export const ticketNotFound = (id: string) => new AppError('ticket-not-found', `No ticket ${id} exists for this client.`)

/** Locks the caller's ticket and checks If-Match against it, or fails as the API answers. */
export async function lockOwnTicket(ledger: Pick<TicketLedger, 'lockTicket'>, operation: Operation, id: string): Promise<LockedTicket> {
  const locked = await ledger.lockTicket(operation.principal.providerId, id)
  if (!locked) throw ticketNotFound(id)
  if (operation.precondition && !operation.precondition(locked.document))
    throw new AppError('precondition-failed', 'The ticket has changed since the ETag given in If-Match; fetch it again.')
  return locked
}
