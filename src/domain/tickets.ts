// The ticket use cases. Tenancy is decided here and only here: every call is confined to the
// principal's provider, and another provider's ticket is indistinguishable from a missing one.
import type { Principal } from '../auth/bearer.js'
import { AppError } from '../errors/app-error.js'
import type { TicketPageJson, TicketReads } from '../store/ticket-reads.js'
import type { TicketQuery } from './ticket-query.js'
import { encodeCursor } from './cursor.js'
import { fromDatabaseError } from '../errors/db-errors.js'

const notFound = (id: string) => new AppError('ticket-not-found', `No ticket ${id} exists for this client.`)

/**
 * The list use case. The page arrives already serialized by the database (the HTTP body is
 * assembled from it). `next` is the cursor after the page's last ticket, null when no ticket
 * follows.
 */
export async function listTicketsJson(
  store: TicketReads,
  principal: Principal,
  query: TicketQuery,
): Promise<Omit<TicketPageJson, 'next'> & { next: string | null }> {
  try {
    const { next, ...page } = await store.listTicketsJson({ providerId: principal.providerId }, query)
    return { ...page, next: next ? encodeCursor(query.sort, next) : null }
  } catch (error) {
    throw deepPageTimeout(error, query) ?? error
  }
}

/**
 * Every offset the contract allows stays allowed, but a deep offset walks every skipped row:
 * when one runs out of time, the problem says how to get the same tickets at first-page cost.
 */
function deepPageTimeout(error: unknown, query: TicketQuery): AppError | undefined {
  if (fromDatabaseError(error)?.slug !== 'query-timeout' || BigInt(query.offset) === 0n) return undefined
  return new AppError(
    'query-timeout',
    `The page at offset ${query.offset} took too long to reach: every skipped ticket is read again. Walk the list with the cursor instead: pass each page's \`next\` as \`after\` (same filters and sort_by), and every page costs what the first one does.`,
    { headers: { 'retry-after': '1' }, errors: [{ in: 'query', name: 'offset', detail: 'is too deep to reach in time; use after' }] },
  )
}

/** The read use case: the ticket as the API sends it, already serialized by the store. */
export async function getTicketDocument(store: TicketReads, principal: Principal, id: string): Promise<string> {
  const document = await store.getTicketDocument({ providerId: principal.providerId }, id)
  if (document === undefined) throw notFound(id)
  return document
}
