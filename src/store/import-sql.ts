// Bulk import inside one transaction: stream validated lines into a temporary staging table,
// check the rules that need the whole file or the existing data (duplicate ids, ticket
// numbers) with set queries that name the line, then upsert everything in one statement that
// only updates the provider's own tickets (and name the line of any other's). Any failure
// throws and the caller's transaction rolls back.
import { sql, type Transaction } from 'kysely'
import { ImportLineError } from '../domain/import-errors.js'
import { type BulkDocuments, takeOverDocuments } from './import-documents.js'
import type { Database } from './database.js'
import { LOCK_TIMEOUT_MS, limitLockWaits, waitingFor } from './lock-timeout.js'
import type { ImportProgress, ImportResult, ImportTicket } from './ticket-transfer.js'
import { RECORD_COLUMNS } from './record-row.js'
import { TICKET_COLUMNS } from './ticket-row.js'

const STORED = [...TICKET_COLUMNS, 'provider_id'] as const

const ident = (names: readonly string[]) => sql.raw(names.map((n) => `"${n}"`).join(', '))

/**
 * How validated batches reach the staging table. The import's other statements run on the
 * same connection, so nothing else is sent between the first stage() and finish() (or abort()).
 */
export interface Stager {
  stage(batch: ImportTicket[]): Promise<void>
  /** After the last batch: every staged row is in the table. */
  finish(): Promise<void>
  /** The import failed while staging: leave the connection ready for the rollback. */
  abort(error: unknown): Promise<void>
}

/** Stages with plain statements, so it works on every pool (the embedded store's included). */
export function jsonStager(trx: Transaction<Database>): Stager {
  return { stage: (batch) => stage(trx, batch), finish: async () => {}, abort: async () => {} }
}

/**
 * One statement per batch, its rows as a single JSON parameter: PostgreSQL's JSON parser does
 * the per-value work (casts to uuid, timestamptz, the enum) far faster than escaping thousands
 * of array elements in JavaScript would.
 */
export async function stage(trx: Transaction<Database>, batch: ImportTicket[]): Promise<void> {
  const rows = JSON.stringify(batch.map(({ line, providerId, ticket }) => ({ ...ticket, provider_id: providerId, line })))
  await sql`INSERT INTO import_staging SELECT * FROM json_populate_recordset(NULL::import_staging, ${rows}::json)`.execute(trx)
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
  // Ids of another provider's tickets are checked by upsertStaged, right after its write.
  return undefined
}

/** The first staged line whose id is a ticket of another provider. */
async function firstForeign(trx: Transaction<Database>): Promise<ImportLineError | undefined> {
  const foreign = await sql<{ line: string }>`
    SELECT s.line FROM import_staging s JOIN tickets t ON t.id = s.id AND t.provider_id <> s.provider_id
    ORDER BY s.line LIMIT 1`.execute(trx)
  if (foreign.rows[0]) return new ImportLineError(Number(foreign.rows[0].line), 'id', 'belongs to a ticket of another provider')
  return undefined
}

/** The staging table: the columns of tickets (its document is derived) plus the input line. */
export async function createStaging(trx: Transaction<Database>): Promise<void> {
  await sql`CREATE TEMPORARY TABLE import_staging (LIKE tickets INCLUDING DEFAULTS, line bigint NOT NULL) ON COMMIT DROP`.execute(trx)
  // The document is derived from the other columns by a trigger on tickets (migration 0005);
  // the lifecycle's own columns are not part of an import line (new rows take their defaults).
  const notStaged = ['doc', ...RECORD_COLUMNS.filter((column) => !(STORED as readonly string[]).includes(column))]
  await sql`ALTER TABLE import_staging ${sql.raw(notStaged.map((column) => `DROP COLUMN "${column}"`).join(', '))}`.execute(trx)
}

/**
 * Writes the staged rows in one statement. An existing ticket is only updated if it belongs
 * to the same provider: the statement itself can never touch another provider's row, whatever
 * was (or was not) checked before. A line it skipped for that reason is then reported like any
 * other clash (`line N: id: …`), and the caller's transaction rolls back: nothing is imported.
 * Checking after the write rather than before costs one pass, not two, and also catches a
 * ticket another transaction committed meanwhile.
 */
export async function upsertStaged(trx: Transaction<Database>, documents?: BulkDocuments): Promise<{ inserted: number; updated: number }> {
  // Rows that are already identical are skipped, so importing a file twice writes nothing.
  const changed = sql.join(
    STORED.map((c) => sql`${sql.ref(`tickets.${c}`)} IS DISTINCT FROM ${sql.ref(`excluded.${c}`)}`),
    sql` OR `,
  )
  // Without the trigger, the statement writes each document itself (import-documents.ts).
  const written: readonly string[] = documents ? [...STORED, 'doc'] : STORED
  const result = await sql<{ inserted: string; updated: string }>`
    WITH upserted AS (
      INSERT INTO tickets (${ident(written)})
      SELECT ${ident(STORED)}${documents ? sql`, ${documents.expression('s')}` : sql``} FROM import_staging s ORDER BY provider_id, created_at
      ON CONFLICT (id) DO UPDATE SET ${sql.raw(
        written
          .filter((c) => c !== 'id')
          .map((c) => `"${c}" = excluded."${c}"`)
          .join(', '),
      )}
      WHERE tickets.provider_id = excluded.provider_id AND (${changed})
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM upserted
  `.execute(trx)
  const foreign = await firstForeign(trx)
  if (foreign) throw foreign
  return { inserted: Number(result.rows[0]?.inserted ?? 0), updated: Number(result.rows[0]?.updated ?? 0) }
}

export async function importTickets(
  trx: Transaction<Database>,
  batches: AsyncIterable<ImportTicket[]>,
  onProgress?: ImportProgress,
  lockTimeoutMs = LOCK_TIMEOUT_MS,
  stagerFor: (trx: Transaction<Database>) => Stager = jsonStager,
): Promise<ImportResult> {
  // A large import legitimately runs longer than the per-statement limit that protects the
  // API; the limit is lifted for this transaction only. Lock waits stay bounded (lock-timeout.ts).
  await sql`SET LOCAL statement_timeout = 0`.execute(trx)
  await limitLockWaits(trx, lockTimeoutMs)
  return waitingFor('a lock on the tickets table (another transaction holds it, e.g. a migration or a long query)', lockTimeoutMs, () =>
    stageAndWrite(trx, batches, stagerFor, onProgress),
  )
}

async function stageAndWrite(
  trx: Transaction<Database>,
  batches: AsyncIterable<ImportTicket[]>,
  stagerFor: (trx: Transaction<Database>) => Stager,
  onProgress?: ImportProgress,
): Promise<ImportResult> {
  await createStaging(trx)
  const stager = stagerFor(trx)
  let lines = 0
  try {
    // The next batch is parsed and validated (CPU, here) while the current one is written
    // (PostgreSQL, elsewhere): the two overlap instead of taking turns.
    const iterator = batches[Symbol.asyncIterator]()
    let pending = iterator.next()
    for (;;) {
      const { done, value: batch } = await pending
      if (done) break
      pending = iterator.next()
      pending.catch(() => undefined) // awaited on the next turn; don't report it as unhandled now
      if (batch.length === 0) continue
      await stager.stage(batch)
      lines += batch.length
      onProgress?.(lines)
    }
    await stager.finish()
    onProgress?.(lines, true)
  } catch (error) {
    await stager.abort(error)
    throw error
  }
  if (lines === 0) return { inserted: 0, updated: 0, unchanged: 0 }
  await sql`CREATE INDEX ON import_staging (id)`.execute(trx)
  await sql`CREATE INDEX ON import_staging (ticket_number)`.execute(trx)
  await sql`ANALYZE import_staging`.execute(trx)
  const conflict = await firstConflict(trx)
  if (conflict) throw conflict

  const bulk = await isBulk(trx, lines)
  const rebuild = bulk ? await dropSecondaryIndexes(trx) : []
  const documents = bulk ? await takeOverDocuments(trx) : undefined
  const { inserted, updated } = await upsertStaged(trx, documents)
  await documents?.restore()
  // Created tickets are numbered above every imported number, renumbered ones included.
  await sql`SELECT setval('ticket_numbers', m) FROM (SELECT max(ticket_number) AS m FROM import_staging) s
            WHERE m > (SELECT last_value FROM ticket_numbers)`.execute(trx)
  for (const definition of rebuild) await sql.raw(definition).execute(trx)
  return { inserted, updated, unchanged: lines - inserted - updated }
}

// A bulk load writes every secondary index once per row, in random order; building them
// afresh afterwards sorts each once, several times faster. But a dropped index takes an
// exclusive lock on tickets until commit (readers wait), so only loads that are large in
// absolute terms and relative to the table do it.
const BULK_MIN_LINES = 50_000
const BULK_MIN_SHARE = 0.25

async function isBulk(trx: Transaction<Database>, lines: number): Promise<boolean> {
  if (lines < BULK_MIN_LINES) return false
  const existing = await sql<{ n: string }>`SELECT coalesce(sum(n), 0) AS n FROM ticket_counts`.execute(trx)
  return lines >= Number(existing.rows[0]!.n) * BULK_MIN_SHARE
}

/** Drops the indexes no constraint needs (the primary key and ticket_number stay); returns their definitions. */
async function dropSecondaryIndexes(trx: Transaction<Database>): Promise<string[]> {
  const indexes = await sql<{ name: string; definition: string }>`
    SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
    WHERE x.indrelid = 'tickets'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
    ORDER BY i.relname`.execute(trx)
  for (const index of indexes.rows) await sql`DROP INDEX ${sql.ref(index.name)}`.execute(trx)
  await sql`SET LOCAL maintenance_work_mem = '128MB'`.execute(trx)
  return indexes.rows.map((index) => index.definition)
}
