// The embedded PGlite database behind the pool interface. PGlite has a single session, so
// "connecting" takes a lock that is held until release: a transaction's statements can never
// interleave with another caller's. The database itself runs in its own thread (pglite-thread.ts);
// the lock, its timeout and the restoring of the session live here, on the server's thread.
import { Mutex, type NotificationHandlers, type Pool, type PoolClient } from './pool.js'
import { SESSION_SETTINGS } from './pglite-session.js'
import { PgliteThread } from './pglite-thread.js'

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

const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`

export class PglitePool implements Pool {
  readonly mutex = new Mutex()
  /** This process's own subscriptions, which a remote session must not be able to end. */
  readonly #channels = new Map<string, NotificationHandlers>()

  constructor(
    /** The session: statements sent to the database thread. */
    readonly db: PgliteThread,
    readonly options: PglitePoolOptions = {},
  ) {
    // A crashed thread takes the subscriptions with it: their owners must assume they missed
    // notifications (every later statement fails with 503 store-unavailable anyway).
    db.onStop(() => {
      for (const handlers of this.#channels.values()) handlers.onLost()
    })
  }

  /** Who the session runs as; restoreSession checks it is still so. */
  get sessionUser(): string {
    return this.db.sessionUser
  }

  /** Opens PGlite (`undefined`: in memory) in a database thread of its own. */
  static async open(dataDir: string | undefined, options: PglitePoolOptions = {}): Promise<PglitePool> {
    return new PglitePool(await PgliteThread.start(dataDir), options)
  }

  async connect(): Promise<PoolClient> {
    const unlock = await this.#lock()
    let released = false
    return {
      query: (sql, parameters) => this.db.run(sql, parameters),
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
    const run = (sql: string) => this.db.run(sql, [])
    if (this.db.isInTransaction()) await run('ROLLBACK')
    await run(RESTORE_SESSION)
    const { rows } = await run('SELECT session_user AS "user"')
    if (rows[0]?.user !== this.sessionUser) {
      await this.db.close()
      throw new Error(`a remote session changed the session user to ${String(rows[0]?.user ?? '?')}; the embedded store was closed`)
    }
    const listening = new Set((await run('SELECT pg_listening_channels() AS channel')).rows.map((r) => r.channel as string))
    for (const channel of listening) if (!this.#channels.has(channel)) await run(`UNLISTEN ${quoteIdentifier(channel)}`)
    for (const [channel, handlers] of this.#channels)
      if (!listening.has(channel)) {
        await run(`LISTEN ${quoteIdentifier(channel)}`)
        handlers.onSubscribed()
      }
  }

  async end(): Promise<void> {
    await this.mutex.run(async () => {
      if (!this.db.closed) await this.db.close()
    })
  }
}
