// Queries only tests need: tickets as objects (the product reads stored documents instead) and
// plain counts. They run the SQL the store runs, straight on its Kysely handle, so a test can
// look behind the API without the product carrying methods nobody else calls.
import { SCOPES } from '../../src/contract/oauth.js'
import type { Ticket } from '../../src/contract/ticket.js'
import type { TicketPatch } from '../../src/contract/ticket-patch.js'
import { patchTicket } from '../../src/domain/lifecycle/patch-ticket.js'
import { isAppError } from '../../src/errors/app-error.js'
import type { LedgerStore } from '../../src/store/ticket-ledger.js'
import type { TicketReads } from '../../src/store/ticket-reads.js'
import type { TicketQuery } from '../../src/domain/ticket-query.js'
import { countTickets as countMatching } from '../../src/store/count-sql.js'
import type { Db } from '../../src/store/database.js'
import { buildPageQuery } from '../../src/store/list-sql.js'
import type { ProviderScope } from '../../src/store/provider-scope.js'
import { rowToTicket, TICKET_COLUMNS } from '../../src/store/ticket-row.js'

export interface TicketPage {
  tickets: Ticket[]
  total: number
}

/** The page listTicketsJson serializes, as Ticket objects mapped in JavaScript. */
export async function listTickets(db: Db, scope: ProviderScope, query: TicketQuery): Promise<TicketPage> {
  // Page and count run side by side; limit=0 needs only the count.
  const [rows, total] = await Promise.all([
    query.limit === 0 ? Promise.resolve([]) : buildPageQuery(db, scope, query).execute(),
    countMatching(db, scope, query),
  ])
  return { tickets: rows.map(rowToTicket), total }
}

/** The ticket mapped from its columns (not its stored document), or undefined. */
export async function getTicket(db: Db, scope: ProviderScope, id: string): Promise<Ticket | undefined> {
  const row = await db
    .selectFrom('tickets')
    .select(TICKET_COLUMNS)
    .where('id', '=', id)
    .where('provider_id', '=', scope.providerId)
    .executeTakeFirst()
  return row && rowToTicket(row)
}

/** Every ticket in the store, or one provider's. */
export async function countTickets(db: Db, providerId?: string): Promise<number> {
  let query = db.selectFrom('tickets').select((eb) => eb.fn.countAll<string>().as('total'))
  if (providerId) query = query.where('provider_id', '=', providerId)
  return Number((await query.executeTakeFirstOrThrow()).total)
}

export type UpdateOutcome =
  { status: 'updated'; document: string } | { status: 'not-found' } | { status: 'precondition-failed'; document: string }

/**
 * The PATCH write as the API runs it (the lifecycle's patchTicket through writeOnce, with its
 * event), called as the store tests have always called it, on behalf of a client of `scope`'s
 * provider holding every scope.
 */
export async function updateTicket(
  store: LedgerStore & TicketReads,
  scope: ProviderScope,
  id: string,
  patch: TicketPatch,
  options: { now: Date; precondition?: (currentDocument: string) => boolean },
): Promise<UpdateOutcome> {
  const principal = { clientId: 'store-test', providerId: scope.providerId, scopes: [...SCOPES] }
  try {
    const written = await store.writeOnce((ledger) => patchTicket(ledger, { principal, ...options }, id, patch))
    return { status: 'updated', document: written.document }
  } catch (error) {
    if (!isAppError(error)) throw error
    if (error.slug === 'ticket-not-found') return { status: 'not-found' }
    if (error.slug === 'precondition-failed')
      return { status: 'precondition-failed', document: (await store.getTicketDocument(scope, id))! }
    throw error
  }
}
