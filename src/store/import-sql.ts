// Bulk import inside one transaction: stream validated lines into a temporary staging table,
// check the rules that need the whole file or the existing data (duplicate ids, ticket
// numbers, tickets of another provider) with set queries that name the line, then upsert
// everything in one statement. Any failure throws and the caller's transaction rolls back.
import { sql, type Transaction } from 'kysely'
import { ImportLineError } from '../domain/import-errors.js'
import type { Database } from './database.js'
import type { ImportResult, ImportTicket } from './store.js'
import { ticketToRow, TICKET_COLUMNS } from './ticket-row.js'

const COLUMN_TYPES: Record<(typeof TICKET_COLUMNS)[number] | 'provider_id' | 'line', string> = {
  line: 'bigint',
  provider_id: 'uuid',
  id: 'uuid',
  assigned_at: 'timestamptz',
  cancel_reason_id: 'integer',
  connection_id: 'uuid',
  created_at: 'timestamptz',
  customer_channel_id: 'uuid',
  customer_connector_id: 'uuid',
  customer_id: 'uuid',
  customer_reference: 'text',
  external_reference: 'text',
  externally_processed: 'boolean',
  finished_at: 'timestamptz',
  operator_channel_id: 'uuid',
  operator_id: 'uuid',
  operator_reference: 'text',
  outsourced: 'boolean',
  source_provider_id: 'uuid',
  state: 'ticket_state',
  ticket_number: 'bigint',
  updated_at: 'timestamptz',
  vehicle_model_id: 'bigint',
  vin: 'text',
  voucher_code: 'text',
}
const STAGED = Object.keys(COLUMN_TYPES) as (keyof typeof COLUMN_TYPES)[]
const STORED = STAGED.filter((c) => c !== 'line')

const ident = (names: readonly string[], prefix = '') => sql.raw(names.map((n) => `${prefix}"${n}"`).join(', '))

async function stage(trx: Transaction<Database>, batch: ImportTicket[]): Promise<void> {
  const rows = batch.map(
    ({ line, providerId, ticket }): Record<string, unknown> => ({ ...ticketToRow(ticket, providerId), line: String(line) }),
  )
  const columns = STAGED.map((column) => rows.map((row) => row[column] ?? null))
  // unnest of one array per column: a single statement and 26 parameters per batch,
  // whatever its size.
  const arrays = sql.join(columns.map((values, i) => sql`${values}::${sql.raw(COLUMN_TYPES[STAGED[i]!])}[]`))
  await sql`INSERT INTO import_staging (${ident(STAGED)}) SELECT * FROM unnest(${arrays})`.execute(trx)
}

async function firstConflict(trx: Transaction<Database>): Promise<ImportLineError | undefined> {
  const duplicate = await sql<{ line: string; first: string }>`
    SELECT max(line) AS line, min(line) AS first FROM import_staging GROUP BY id HAVING count(*) > 1
    ORDER BY 1 LIMIT 1`.execute(trx)
  if (duplicate.rows[0])
    return new ImportLineError(Number(duplicate.rows[0].line), 'id', `duplicates the ticket on line ${duplicate.rows[0].first}`)

  const number = await sql<{ line: string; first: string }>`
    SELECT max(line) AS line, min(line) AS first FROM import_staging GROUP BY ticket_number HAVING count(*) > 1
    ORDER BY 1 LIMIT 1`.execute(trx)
  if (number.rows[0])
    return new ImportLineError(Number(number.rows[0].line), 'ticket_number', `is also used on line ${number.rows[0].first}`)

  const taken = await sql<{ line: string; id: string }>`
    SELECT s.line, t.id FROM import_staging s JOIN tickets t ON t.ticket_number = s.ticket_number AND t.id <> s.id
    ORDER BY s.line LIMIT 1`.execute(trx)
  if (taken.rows[0])
    return new ImportLineError(Number(taken.rows[0].line), 'ticket_number', `is already used by ticket ${taken.rows[0].id}`)

  const foreign = await sql<{ line: string }>`
    SELECT s.line FROM import_staging s JOIN tickets t ON t.id = s.id AND t.provider_id <> s.provider_id
    ORDER BY s.line LIMIT 1`.execute(trx)
  if (foreign.rows[0])
    return new ImportLineError(Number(foreign.rows[0].line), 'id', 'belongs to a ticket of another provider')
  return undefined
}

export async function importTickets(
  trx: Transaction<Database>,
  batches: AsyncIterable<ImportTicket[]>,
  onProgress?: (lines: number) => void,
): Promise<ImportResult> {
  // A large import legitimately runs longer than the per-statement limit that protects the
  // API; the limit is lifted for this transaction only.
  await sql`SET LOCAL statement_timeout = 0`.execute(trx)
  await sql`CREATE TEMPORARY TABLE import_staging (LIKE tickets INCLUDING DEFAULTS, line bigint NOT NULL) ON COMMIT DROP`.execute(trx)
  let lines = 0
  for await (const batch of batches) {
    if (batch.length === 0) continue
    await stage(trx, batch)
    lines += batch.length
    onProgress?.(lines)
  }
  if (lines === 0) return { inserted: 0, updated: 0, unchanged: 0 }
  await sql`CREATE INDEX ON import_staging (id)`.execute(trx)
  await sql`CREATE INDEX ON import_staging (ticket_number)`.execute(trx)
  await sql`ANALYZE import_staging`.execute(trx)
  const conflict = await firstConflict(trx)
  if (conflict) throw conflict

  // Rows that are already identical are skipped, so importing a file twice writes nothing.
  const changed = sql.join(STORED.map((c) => sql`${sql.ref(`tickets.${c}`)} IS DISTINCT FROM ${sql.ref(`excluded.${c}`)}`), sql` OR `)
  const result = await sql<{ inserted: string; updated: string }>`
    WITH upserted AS (
      INSERT INTO tickets (${ident(STORED)})
      SELECT ${ident(STORED)} FROM import_staging ORDER BY line
      ON CONFLICT (id) DO UPDATE SET ${sql.raw(STORED.filter((c) => c !== 'id').map((c) => `"${c}" = excluded."${c}"`).join(', '))}
      WHERE ${changed}
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted
  `.execute(trx)
  const inserted = Number(result.rows[0]?.inserted ?? 0)
  const updated = Number(result.rows[0]?.updated ?? 0)
  return { inserted, updated, unchanged: lines - inserted - updated }
}
