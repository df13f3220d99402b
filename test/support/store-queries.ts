// Queries only tests need: tickets as objects (the product reads stored documents instead) and
// plain counts. They run the SQL the store runs, straight on its Kysely handle, so a test can
// look behind the API without the product carrying methods nobody else calls.
import type { Ticket } from '../../src/contract/ticket.js'
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
