// TicketTransfer over Kysely: the import transaction (import-sql.ts does the work inside it)
// and the export, read in id order batch by batch so that no file ever sits in memory.
import { sql } from 'kysely'
import type { Db } from './database.js'
import { importTickets } from './import-sql.js'
import { rowToTicket, TICKET_COLUMNS } from './ticket-row.js'
import type { ExportedTicket, ImportProgress, ImportResult, ImportTicket, TicketTransfer } from './ticket-transfer.js'

const EXPORT_BATCH = 2_000

export interface TicketTransferOptions {
  /** How long an import waits for a lock (default lock-timeout.ts's LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number | undefined
  /** PGlite has no autovacuum: without a VACUUM after bulk writes, counts stay slow. */
  vacuumAfterImport: boolean
}

export function ticketTransferSql(db: Db, options: TicketTransferOptions): TicketTransfer {
  return {
    async importTickets(batches: AsyncIterable<ImportTicket[]>, onProgress?: ImportProgress): Promise<ImportResult> {
      const result = await db.transaction().execute((trx) => importTickets(trx, batches, onProgress, options.lockTimeoutMs))
      if (options.vacuumAfterImport) await sql`VACUUM ANALYZE tickets`.execute(db)
      else await sql`ANALYZE tickets`.execute(db)
      return result
    },

    async *exportTickets(providerId?: string): AsyncIterable<ExportedTicket[]> {
      let after = '00000000-0000-0000-0000-000000000000'
      let first = true
      for (;;) {
        let query = db
          .selectFrom('tickets')
          .select([...TICKET_COLUMNS, 'provider_id'])
          .orderBy('id')
          .limit(EXPORT_BATCH)
        if (!first) query = query.where('id', '>', after)
        if (providerId) query = query.where('provider_id', '=', providerId)
        const rows = await query.execute()
        if (rows.length === 0) return
        yield rows.map(({ provider_id, ...row }) => ({ providerId: provider_id, ticket: rowToTicket(row) }))
        after = rows.at(-1)!.id
        first = false
        if (rows.length < EXPORT_BATCH) return
      }
    },
  }
}
