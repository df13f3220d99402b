// The PostgreSQL import: the same transaction as import-sql.ts, but the rows reach the staging
// table through one `COPY … FROM STDIN` that runs while the file is still being parsed, instead
// of a JSON statement per batch. COPY needs the driver's own connection (the pool behind Kysely
// hands out query-only clients), so the import opens a connection of its own and runs the
// whole transaction, Kysely statements included, on it.
import { finished } from 'node:stream/promises'
import { sql } from 'kysely'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { createDb } from './database.js'
import type { Pool, PoolClient } from './drivers/pool.js'
import { importTickets, type Stager } from './import-sql.js'
import { COPY_COLUMNS, toCopyText } from './import-copy-text.js'
import type { ImportProgress, ImportResult, ImportTicket } from './ticket-transfer.js'

/** How the import's connection shows in pg_stat_activity. */
export const IMPORT_APPLICATION = 'tickets import'

export interface CopyImportOptions {
  /** How long the import waits for a lock (default lock-timeout.ts's LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number | undefined
}

/** All or nothing, like every import: one transaction on one connection, closed at the end whatever happened. */
export async function importTicketsByCopy(
  databaseUrl: string,
  batches: AsyncIterable<ImportTicket[]>,
  onProgress?: ImportProgress,
  options: CopyImportOptions = {},
): Promise<ImportResult> {
  // A UTC session like the pool's (pg-pool.ts); the transaction lifts the statement timeout itself.
  const client = new pg.Client({ connectionString: databaseUrl, options: '-c TimeZone=UTC', application_name: IMPORT_APPLICATION })
  client.on('error', () => undefined) // a lost connection fails the running query, which reports it
  await client.connect()
  const db = createDb(singleConnection(client))
  try {
    const result = await db
      .transaction()
      .execute((trx) => importTickets(trx, batches, onProgress, options.lockTimeoutMs, () => copyStager(client)))
    await sql`ANALYZE tickets`.execute(db)
    return result
  } finally {
    await db.destroy()
  }
}

/** Kysely's pool shape over the one connection: every statement of the import runs on it. */
function singleConnection(client: pg.Client): Pool {
  const connection: PoolClient = {
    async query(text, values) {
      const result = await client.query({ text, values: [...values] })
      return { command: result.command, rowCount: result.rowCount ?? 0, rows: result.rows as Record<string, unknown>[] }
    },
    release() {},
  }
  return { connect: async () => connection, end: () => client.end() }
}

/** Until the stream takes more, or fails (its error is then reported through the stager's failure). */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('error', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('error', done)
  })
}

/**
 * Streams every batch into one COPY. A batch is written and the loop moves on to parse the
 * next while PostgreSQL ingests it; only when the socket's buffer is full does it wait.
 */
function copyStager(client: pg.Client): Stager {
  let copy: ReturnType<typeof copyFrom> | undefined
  let failure: unknown
  const open = () => {
    copy = client.query(copyFrom(`COPY import_staging (${COPY_COLUMNS.map((c) => `"${c}"`).join(', ')}) FROM STDIN`))
    copy.on('error', (error) => (failure ??= error))
    return copy
  }
  return {
    async stage(batch) {
      if (failure) throw failure
      const stream = copy ?? open()
      if (!stream.write(toCopyText(batch))) await drained(stream)
      if (failure) throw failure
    },
    async finish() {
      if (!copy) return
      copy.end()
      await finished(copy)
    },
    async abort(error) {
      if (!copy || copy.destroyed) return
      // Sends CopyFail: PostgreSQL ends the COPY with an error and the connection takes the rollback.
      copy.destroy(error instanceof Error ? error : new Error(String(error)))
      await finished(copy).catch(() => undefined)
    },
  }
}
