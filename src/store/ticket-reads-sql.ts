// TicketReads over Kysely: pages and single tickets as stored documents (migration 0005).
import type { TicketQuery } from '../domain/ticket-query.js'
import { countTickets, totalExpression } from './count-sql.js'
import type { Db } from './database.js'
import { preparedStatement } from './drivers/prepared-statements.js'
import { buildPageDocsQuery } from './list-sql.js'
import type { ProviderScope } from './provider-scope.js'
import { cursorPosition } from './ticket-row.js'
import type { TicketPageJson, TicketReads } from './ticket-reads.js'

export function ticketReadsSql(db: Db): TicketReads {
  const ticketDocument = preparedStatement(db.selectFrom('tickets').select('doc').where('id', '=', '').where('provider_id', '=', ''))
  return {
    async listTicketsJson(scope: ProviderScope, query: TicketQuery): Promise<TicketPageJson> {
      const total = totalExpression(db, scope, query)
      const rows = query.limit === 0 ? [] : await buildPageDocsQuery(db, scope, query, total).execute()
      // An empty page carries no total: past the end (or limit=0) it is counted on its own.
      if (rows.length === 0) return { resultJson: '[]', total: await countTickets(db, scope, query), rows: 0 }
      const more = rows.length > query.limit
      const page = more ? rows.slice(0, query.limit) : rows
      return {
        resultJson: `[${page.map((row) => row.doc).join(',')}]`,
        total: Number(rows[0]!.total),
        rows: page.length,
        ...(more ? { next: cursorPosition(page.at(-1)!.doc, query) } : {}),
      }
    },

    async getTicketDocument(scope: ProviderScope, id: string): Promise<string | undefined> {
      const { rows } = await db.executeQuery(ticketDocument(id, scope.providerId))
      return rows[0]?.doc
    },
  }
}
