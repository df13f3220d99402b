// The statements that write one change of a ticket and append its event, in one statement each,
// so a change without its event (or an event without its change) can never commit. Shared by the
// transaction's ledger (ticket-ledger-sql.ts), which holds the row's lock while it writes, and the
// optimistic writer (ticket-writer-sql.ts), which instead names the row version it read.
import { sql, type Kysely } from 'kysely'
import type { TicketChanges, TicketRecord } from '../domain/lifecycle/ticket-record.js'
import type { Database } from './database.js'
import { RECORD_COLUMNS, rowToRecord } from './record-row.js'
import type { NewEvent, WrittenTicket } from './ticket-ledger.js'

export const EVENT_COLUMNS = ['id', 'provider_id', 'ticket_id', 'type', 'occurred_at', 'doc'] as const

/** The event's row, one per row the statement's `source` CTE wrote (so none when it wrote none). */
export function eventFrom(source: 'changed' | 'inserted', event: NewEvent) {
  return sql`SELECT ${event.id}, ${event.providerId}::uuid, ${event.ticketId}::uuid, ${event.type}, ${event.occurredAt}::timestamptz, ${event.doc} FROM ${sql.table(source)}`
}

function changeSet(changes: TicketChanges): Record<string, unknown> {
  const set: Record<string, unknown> = {}
  for (const [column, value] of Object.entries(changes)) {
    if (value === undefined) continue
    set[column] = typeof value === 'bigint' ? String(value) : value
  }
  return set
}

/**
 * Applies `changes` to the ticket and appends `event`, in one statement. With `version` (the
 * row's `xmin` as read), only that version of the row is written: undefined means another
 * writer changed the ticket in between (or it is gone), and nothing was written.
 */
export async function updateTicketRow(
  db: Kysely<Database>,
  before: Pick<TicketRecord, 'id' | 'provider_id'>,
  changes: TicketChanges,
  now: Date,
  event: NewEvent,
  version?: string,
): Promise<WrittenTicket | undefined> {
  const row = await db
    .with('changed', (db) =>
      db
        .updateTable('tickets')
        .set({
          ...changeSet(changes),
          last_event_id: event.id,
          // Never before created_at (a CHECK constraint), even if this clock lags the importer's.
          updated_at: sql<string>`greatest(${now.toISOString()}::timestamptz, created_at)`,
        })
        .where('id', '=', before.id)
        .where('provider_id', '=', before.provider_id)
        .$if(version !== undefined, (query) => query.where(sql`xmin`, '=', sql`${version}::xid`))
        .returning([...RECORD_COLUMNS, 'doc']),
    )
    // Selected from the change, so a statement that matched no row appends no event.
    .with('appended', (db) => db.insertInto('ticket_events').columns(EVENT_COLUMNS).expression(eventFrom('changed', event)))
    .selectFrom('changed')
    .selectAll()
    .executeTakeFirst()
  return row && { record: rowToRecord(row), document: row.doc }
}
