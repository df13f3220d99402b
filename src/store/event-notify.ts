// Commits of events, told to the other server processes on the same database: after this
// process commits events, their providers are collected for one short tick and sent in one
// NOTIFY statement (its own tiny transaction, outside every write transaction), on a channel
// every server LISTENs to (sql-store.ts, followEventCommits). A lost notification only delays
// a long poll until its wait ends; nothing is read from notifications but "look again".
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from './database.js'

export const EVENTS_CHANNEL = 'tickets_events'

/** Commits within this long share one NOTIFY: at most ~100 a second per process, whatever the write rate. */
const TICK_MS = 10
/** PostgreSQL refuses payloads of 8000 bytes or more; ids are 36 characters. */
const PAYLOAD_LIMIT = 7900

/** A payload per chunk of ids: `<origin>:<id>,<id>,…`, each under the limit. */
export function encodeCommits(origin: string, providerIds: readonly string[]): string[] {
  const payloads: string[] = []
  let current: string[] = []
  let length = origin.length + 1
  for (const id of providerIds) {
    if (current.length > 0 && length + id.length + 1 > PAYLOAD_LIMIT) {
      payloads.push(`${origin}:${current.join(',')}`)
      current = []
      length = origin.length + 1
    }
    current.push(id)
    length += id.length + 1
  }
  if (current.length > 0) payloads.push(`${origin}:${current.join(',')}`)
  return payloads
}

export function decodeCommits(payload: string): { origin: string; providerIds: string[] } | undefined {
  const colon = payload.indexOf(':')
  if (colon <= 0) return undefined
  const providerIds = payload
    .slice(colon + 1)
    .split(',')
    .filter((id) => id !== '')
  return { origin: payload.slice(0, colon), providerIds }
}

export class CommitPublisher {
  /** Names this process in its own notifications, which it has already heard in-process. */
  readonly origin = randomBytes(8).toString('hex')
  #pending = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()
  #closed = false

  constructor(
    private readonly db: Db,
    private readonly report: (error: Error) => void,
  ) {}

  add(providerIds: readonly string[]): void {
    if (this.#closed) return
    for (const id of providerIds) this.#pending.add(id)
    if (this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#flushing = this.#flushing.then(() => this.#flush())
    }, TICK_MS)
    // A pending tick must not keep a finishing process alive; close() sends what is left.
    this.#timer.unref()
  }

  async #flush(): Promise<void> {
    const ids = [...this.#pending]
    this.#pending = new Set()
    if (ids.length === 0) return
    try {
      const payloads = encodeCommits(this.origin, ids)
      await sql`SELECT pg_notify(${EVENTS_CHANNEL}, p) FROM unnest(${payloads}::text[]) AS p`.execute(this.db)
    } catch (error) {
      this.report(error as Error)
    }
  }

  /** Sends what is pending, then stops. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#flushing = this.#flushing.then(() => this.#flush())
    await this.#flushing
  }
}
