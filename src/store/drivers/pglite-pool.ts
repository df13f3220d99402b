// An in-process PGlite database behind the pool interface. PGlite has a single session, so
// "connecting" takes a lock that is held until release: a transaction's statements can never
// interleave with another caller's.
import { PGlite, types } from '@electric-sql/pglite'
import { commandOf, Mutex, toArrayLiteral, type NotificationHandlers, type Pool, type PoolClient, type QueryResult } from './pool.js'

// The same value shapes node-postgres produces with our type overrides (see pg-pool.ts):
// int8 and timestamptz stay text, so both drivers hand the store identical rows.
const PARSERS = {
  [types.INT8]: (value: string) => value,
  [types.TIMESTAMPTZ]: (value: string) => value,
}

export async function openPglite(dataDir: string | undefined): Promise<PGlite> {
  const db = await PGlite.create(dataDir ?? 'memory://', { parsers: PARSERS })
  await db.exec("SET TimeZone TO 'UTC'")
  return db
}

// Like node-postgres: a statement without parameters goes through the simple protocol (so a
// migration may hold several statements); one with parameters is parsed and bound.
export async function runOnPglite(db: PGlite, sql: string, parameters: readonly unknown[]): Promise<QueryResult> {
  const result =
    parameters.length === 0
      ? (await db.exec(sql)).at(-1)
      : await db.query<Record<string, unknown>>(
          sql,
          parameters.map((p) => (Array.isArray(p) ? toArrayLiteral(p) : p)),
        )
  const rows = (result?.rows ?? []) as Record<string, unknown>[]
  return { command: commandOf(sql), rowCount: result?.affectedRows ?? rows.length, rows }
}

export class PglitePool implements Pool {
  readonly mutex = new Mutex()

  constructor(readonly db: PGlite) {}

  async connect(): Promise<PoolClient> {
    const unlock = await this.mutex.lock()
    let released = false
    return {
      query: (sql, parameters) => runOnPglite(this.db, sql, parameters),
      release: () => {
        if (released) return
        released = true
        unlock()
      },
    }
  }

  async listen(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>> {
    // In-process: every write to this database, a remote CLI session's included, runs here,
    // so the subscription cannot be lost while the database is open.
    // LISTEN takes the session lock like any statement, so it never lands inside (and dies
    // with) another caller's transaction.
    const unsubscribe = await this.mutex.run(() => this.db.listen(channel, handlers.onNotify))
    handlers.onSubscribed()
    return async () => {
      if (!this.db.closed) await this.mutex.run(unsubscribe)
    }
  }

  async end(): Promise<void> {
    await this.mutex.run(async () => {
      if (!this.db.closed) await this.db.close()
    })
  }
}
