// The PATCH write: one UPDATE of one ticket, scoped to its provider, returning its document
// (rewritten by migration 0005's BEFORE trigger, so RETURNING sees the new one). Tenancy is
// decided before (src/domain/tickets.ts, and the SELECT … FOR UPDATE in ticket-writes-sql.ts),
// but the statement itself names the provider too: whatever a caller gets wrong, it can only
// touch the provider's own row (defence in depth).
import { sql, type Transaction } from 'kysely'
import type { TicketPatch } from '../contract/ticket-patch.js'
import type { Database, Db } from './database.js'

export async function updateTicketRow(db: Db | Transaction<Database>, providerId: string, id: string, patch: TicketPatch, now: Date) {
  return db
    .updateTable('tickets')
    .set({
      ...(patch.external_reference !== undefined ? { external_reference: patch.external_reference } : {}),
      ...(patch.externally_processed !== undefined ? { externally_processed: patch.externally_processed } : {}),
      // Never before created_at (a CHECK constraint), even if this clock lags the importer's.
      updated_at: sql<string>`greatest(${now.toISOString()}::timestamptz, created_at)`,
    })
    .where('id', '=', id)
    .where('provider_id', '=', providerId)
    .returning('doc')
    .executeTakeFirst()
}
