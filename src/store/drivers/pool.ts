// The connection-pool shape Kysely's PostgresDialect drives. node-postgres' Pool has it;
// the embedded drivers implement it over PGlite so that one dialect serves every store.
export interface QueryResult {
  command: string
  rowCount: number
  rows: Record<string, unknown>[]
}

export interface PoolClient {
  query(sql: string, parameters: readonly unknown[]): Promise<QueryResult>
  release(): void
}

/** How busy a pool is, for metrics. */
export interface PoolStats {
  /** Connections open. */
  total: number
  idle: number
  /** Callers waiting for a connection. */
  waiting: number
}

export interface Pool {
  connect(): Promise<PoolClient>
  end(): Promise<void>
  /** Where the driver can tell (PostgreSQL; the embedded store has one session and a lock). */
  stats?(): PoolStats
  /** Subscribe to NOTIFY on a channel, where the driver can (PostgreSQL and the in-process PGlite; not a remote embedded session). */
  listen?(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>>
}

export interface NotificationHandlers {
  onNotify(payload: string): void
  /** The subscription is (re)established: anything missed before must be assumed changed. */
  onSubscribed(): void
  /** The subscription is lost: notifications may be missed until onSubscribed again. */
  onLost(): void
}

/** The statement's command word, which Kysely reads to report affected rows. */
export function commandOf(sql: string): string {
  const match = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql)
  return (match?.[1] ?? '').toUpperCase()
}

/**
 * A FIFO lock: PGlite runs one statement at a time, and a transaction must own it throughout.
 * A waiter may give up (its caller went away, or waited too long) by aborting `signal`: its
 * promise rejects with the signal's reason, and when its turn comes the lock is passed straight
 * on. (Racing `lock()` against something else would leave the lock acquired later by nobody,
 * and every later caller would wait forever.)
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve()
  #waiting = 0

  /** Callers queued for the lock, not counting its holder. */
  get waiting(): number {
    return this.#waiting
  }

  lock(signal?: AbortSignal): Promise<() => void> {
    let unlock!: () => void
    const held = new Promise<void>((resolve) => (unlock = resolve))
    const previous = this.#tail
    this.#tail = previous.then(() => held)
    this.#waiting++
    if (!signal)
      return previous.then(() => {
        this.#waiting--
        return unlock
      })
    return new Promise((resolve, reject) => {
      let gaveUp = false
      const abort = () => {
        gaveUp = true
        reject(signal.reason)
      }
      if (signal.aborted) abort()
      else signal.addEventListener('abort', abort, { once: true })
      void previous.then(() => {
        this.#waiting--
        signal.removeEventListener('abort', abort)
        if (gaveUp) unlock()
        else resolve(unlock)
      })
    })
  }

  /** Runs `work` holding the lock. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const unlock = await this.lock()
    try {
      return await work()
    } finally {
      unlock()
    }
  }
}

/**
 * A JS array as a PostgreSQL array literal, the way node-postgres sends array parameters.
 * PGlite only serializes arrays of built-in types itself (not of enums), so the embedded
 * driver sends every array this way too and both drivers bind identical text.
 */
export function toArrayLiteral(values: readonly unknown[]): string {
  const elements = values.map((value) =>
    value === null || value === undefined ? 'NULL' : `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
  )
  return `{${elements.join(',')}}`
}
