// The ticket use cases. Tenancy is decided here and only here: every call is confined to the
// principal's provider, and another provider's ticket is indistinguishable from a missing one.
import type { Principal } from '../auth/bearer.js'
import type { Ticket } from '../contract/ticket.js'
import type { TicketPatch } from '../contract/ticket-patch.js'
import { AppError } from '../errors/app-error.js'
import type { TicketPageJson, TicketStore } from '../store/store.js'
import type { TicketQuery } from './ticket-query.js'
import { encodeCursor } from './cursor.js'

const notFound = (id: string) => new AppError('ticket-not-found', `No ticket ${id} exists for this client.`)

/**
 * The list use case. The page arrives already serialized by the database (the HTTP body is
 * assembled from it). `next` is the cursor after the page's last ticket, null when no ticket
 * follows.
 */
export async function listTicketsJson(
  store: TicketStore,
  principal: Principal,
  query: TicketQuery,
): Promise<Omit<TicketPageJson, 'next'> & { next: string | null }> {
  const { next, ...page } = await store.listTicketsJson({ providerId: principal.providerId }, query)
  return { ...page, next: next ? encodeCursor(query.sort, next) : null }
}

/** The read use case: the ticket as the API sends it, already serialized by the store. */
export async function getTicketDocument(store: TicketStore, principal: Principal, id: string): Promise<string> {
  const document = await store.getTicketDocument({ providerId: principal.providerId }, id)
  if (document === undefined) throw notFound(id)
  return document
}

export async function updateTicket(
  store: TicketStore,
  principal: Principal,
  id: string,
  patch: TicketPatch,
  options: { now: Date; precondition?: (current: Ticket) => boolean },
): Promise<Ticket> {
  const outcome = await store.updateTicket({ providerId: principal.providerId }, id, patch, options)
  if (outcome.status === 'not-found') throw notFound(id)
  if (outcome.status === 'precondition-failed')
    throw new AppError('precondition-failed', 'The ticket has changed since the ETag given in If-Match; fetch it again.')
  return outcome.ticket
}
