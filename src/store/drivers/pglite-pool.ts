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

// What every session starts with; restored after each remote session (see restoreSession).
const SESSION_SETTINGS = "SET TimeZone TO 'UTC'"

export async function openPglite(dataDir: string | undefined): Promise<PGlite> {
  const db = await PGlite.create(dataDir ?? 'memory://', { parsers: PARSERS })
  await db.exec(SESSION_SETTINGS)
  return db
}

/**
 * Waiting for the session lock took longer than the pool allows. PGlite ignores
 * statement_timeout (a statement runs to completion in its single WASM thread), so this wait
 * is the part of a request the embedded store can bound. SQLSTATE 57P03 (cannot_connect_now)
 * maps to 503 store-unavailable with Retry-After (src/errors/db-errors.ts).
 */
export class StoreBusyError extends Error {
  readonly code = '57P03'
  constructor(waitedMs: number) {
    super(`the embedded store stayed busy for ${waitedMs} ms (another session holds it)`)
    this.name = 'StoreBusyError'
  }
}

export interface PglitePoolOptions {
  /** How long connect() waits for the session lock; 0 or unset: no limit. */
  lockTimeoutMs?: number
}

// Undoes what a remote session may have changed in the one shared session, like DISCARD ALL
// but without its UNLISTEN * (which would end this process's own subscriptions; listen()
// re-checks those separately). RESET ALL leaves the role alone, hence RESET ROLE.
const RESTORE_SESSION = [
  'CLOSE ALL',
  'RESET ROLE',
  'RESET ALL',
  'DEALLOCATE ALL',
  'SELECT pg_advisory_unlock_all()',
  'DISCARD PLANS',
  'DISCARD TEMP',
  'DISCARD SEQUENCES',
  SESSION_SETTINGS,
].join('; ')

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
  /** This process's own subscriptions, which a remote session must not be able to end. */
  readonly #channels = new Map<string, NotificationHandlers>()

  constructor(
    readonly db: PGlite,
    /** Who the session runs as; restoreSession checks it is still so. */
    readonly sessionUser: string,
    readonly options: PglitePoolOptions = {},
  ) {}

  static async open(dataDir: string | undefined, options: PglitePoolOptions = {}): Promise<PglitePool> {
    const db = await openPglite(dataDir)
    try {
      const { rows } = await db.query<{ user: string }>('SELECT session_user AS "user"')
      return new PglitePool(db, rows[0]!.user, options)
    } catch (error) {
      await db.close().catch(() => undefined)
      throw error
    }
  }

  async connect(): Promise<PoolClient> {
    const unlock = await this.#lock()
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
    this.#channels.set(channel, handlers)
    handlers.onSubscribed()
    return async () => {
      this.#channels.delete(channel)
      if (!this.db.closed) await this.mutex.run(unsubscribe)
    }
  }

  async #lock(): Promise<() => void> {
    const timeoutMs = this.options.lockTimeoutMs ?? 0
    if (timeoutMs <= 0) return this.mutex.lock()
    try {
      return await this.mutex.lock(AbortSignal.timeout(timeoutMs))
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') throw new StoreBusyError(timeoutMs)
      throw error
    }
  }

  /**
   * Called holding the lock after a remote session ends, before anyone else gets the session:
   * rolls back what it left open and resets what it changed (settings, role, prepared
   * statements, temporary tables, advisory locks, extra LISTENs). If it ended one of our own
   * subscriptions, LISTEN again and report onSubscribed, since notifications may have been
   * missed meanwhile. A session whose identity cannot be restored (PGlite's single-user
   * backend cannot undo SET SESSION AUTHORIZATION) is closed: failing every request (503) beats
   * serving them as another role.
   */
  async restoreSession(): Promise<void> {
    if (this.db.closed) return
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK')
    await this.db.exec(RESTORE_SESSION)
    const { rows } = await this.db.query<{ user: string }>('SELECT session_user AS "user"')
    if (rows[0]?.user !== this.sessionUser) {
      await this.db.close()
      throw new Error(`a remote session changed the session user to ${rows[0]?.user ?? '?'}; the embedded store was closed`)
    }
    const listening = new Set(
      (await this.db.query<{ channel: string }>('SELECT pg_listening_channels() AS channel')).rows.map((r) => r.channel),
    )
    for (const channel of listening) if (!this.#channels.has(channel)) await this.db.exec(`UNLISTEN "${channel.replace(/"/g, '""')}"`)
    for (const [channel, handlers] of this.#channels)
      if (!listening.has(channel)) {
        await this.db.exec(`LISTEN "${channel.replace(/"/g, '""')}"`)
        handlers.onSubscribed()
      }
  }

  async end(): Promise<void> {
    await this.mutex.run(async () => {
      if (!this.db.closed) await this.db.close()
    })
  }
}
