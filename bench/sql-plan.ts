// The SQL the service runs for an operation, recorded rather than rebuilt: the measured build's
// own store (from its compiled dist/, so a --ref build records its own SQL) performs each
// distinct operation once against the bench database, while every query sent through `pg` is
// captured together with the connection it ran on. Queries on different connections ran side
// by side (the list's page and count); those on one connection ran in order (the PATCH
// transaction, BEGIN…COMMIT included). Not included, because the store is called directly: the
// bearer check and its API-client lookup.
//
// PATCH is recorded the way the measured build runs it: since issue #11's second round, through
// `store.writeOnce(writer => patchTicket(writer, …))` (an unlocked read that returns the row's
// version, then one statement that updates that version of the ticket and appends its event);
// before it, `store.transact(…)` (lock, then that statement); before the lifecycle,
// `store.updateTicket`. The event's id (a ULID, the primary key of ticket_events) would collide
// when the recording is replayed, so every replay gets a new one in its place (`freshIds`); the
// version the write names is the one the replay's own read returned (`readVersion`), or the
// replayed write would match no row.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import type { Build } from './cli.js'
import type { Operation } from './scenarios.js'

export interface Statement {
  sql: string
  parameters: readonly unknown[]
  /** Positions of parameters that must be new on each replay (event ids). */
  freshIds?: number[]
  /** Position of the parameter that is the row version (`version` column) the session's previous read returned. */
  readVersion?: number
}

/** The `version` a statement's result returned (writeOnce's read), for the session's next write. */
export const versionOf = (result: { rows?: Array<Record<string, unknown>> }): string | undefined => {
  const version = result.rows?.[0]?.version
  return typeof version === 'string' ? version : undefined
}

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A new ULID-shaped id (time now, random rest): what an event id looks like to the database. */
function freshUlid(): string {
  let time = ''
  for (let rest = Date.now(), i = 0; i < 10; i++, rest = Math.floor(rest / 32)) time = CROCKFORD[rest % 32]! + time
  let random = ''
  for (const byte of randomBytes(16)) random += CROCKFORD[byte % 32]
  return time + random
}

/**
 * The statement's parameters for one replay, with new ids where the recording had event ids,
 * also inside the other text parameters (the event's document names its own id): a replayed
 * event must stay a consistent one, since the bench's feed scenario pages by the ids it reads.
 */
export function replayParameters(statement: Statement, version?: string): unknown[] {
  if (!statement.freshIds?.length && statement.readVersion === undefined) return statement.parameters as unknown[]
  const parameters = [...statement.parameters]
  if (statement.readVersion !== undefined && version !== undefined) parameters[statement.readVersion] = version
  for (const index of statement.freshIds ?? []) {
    const old = statement.parameters[index] as string
    const fresh = freshUlid()
    for (const [i, value] of parameters.entries())
      if (typeof value === 'string' && value.includes(old)) parameters[i] = value.replaceAll(old, fresh)
  }
  return parameters
}

export interface SqlPlan {
  /** Each session is one connection's statements, in order; sessions run concurrently. */
  sessions: Statement[][]
}

type Scope = { providerId: string }
interface RecordingStore {
  listTicketsJson?(scope: Scope, query: unknown): Promise<unknown>
  listTickets(scope: Scope, query: unknown): Promise<unknown>
  getTicket(scope: Scope, id: string): Promise<unknown>
  getTicketDocument?(scope: Scope, id: string): Promise<unknown>
  /** Since the event feed (#10). */
  readFeed?(scope: Scope, read: { afterId: string; limit: number }): Promise<unknown>
  /** Before the lifecycle (8649e3c and older). */
  updateTicket?(scope: Scope, id: string, patch: unknown, options: { now: Date }): Promise<unknown>
  /** Since the lifecycle: PATCH is patchTicket inside a transaction. */
  transact?<T>(work: (ledger: unknown) => Promise<T>): Promise<T>
  /** Since #11's second round: PATCH is patchTicket through writeOnce. */
  writeOnce?<T>(work: (writer: unknown) => Promise<T>): Promise<T>
  close(): Promise<void>
}

type PatchTicket = (ledger: unknown, operation: object, id: string, patch: unknown) => Promise<unknown>

let recording: Array<{ client: object; statement: Statement; version?: string }> | undefined
const originalQuery = pg.Client.prototype.query
// The store's pg driver calls client.query({ text, values, query_timeout }) on a pooled
// pg.Client (older builds: client.query(sql, parameters)); both are recorded.
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  let entry: NonNullable<typeof recording>[number] | undefined
  if (recording && typeof args[0] === 'string')
    entry = { client: this, statement: { sql: args[0], parameters: (args[1] as unknown[]) ?? [] } }
  else if (recording && typeof args[0] === 'object' && args[0] !== null && typeof (args[0] as { text?: unknown }).text === 'string') {
    const config = args[0] as { text: string; values?: unknown[] }
    entry = { client: this, statement: { sql: config.text, parameters: config.values ?? [] } }
  }
  if (entry) recording!.push(entry)
  const result = (originalQuery as (...a: unknown[]) => unknown).apply(this, args)
  // The version a read returns, to recognise the write that names it.
  if (entry && result instanceof Promise)
    result.then(
      (r: { rows?: Array<Record<string, unknown>> }) => (entry.version = versionOf(r)),
      () => undefined,
    )
  return result
} as typeof pg.Client.prototype.query

const distOf = (build: Build) => dirname(dirname(build.entry))
const load = <T>(build: Build, module: string) => import(pathToFileURL(join(distOf(build), module)).href) as Promise<T>

async function perform(
  store: RecordingStore,
  parse: (q: string) => unknown,
  patchTicket: PatchTicket | undefined,
  operation: Operation,
): Promise<void> {
  const scope = { providerId: operation.providerId }
  if (operation.method === 'POST') throw new Error(`no recorded SQL for ${operation.scenario}: the lifecycle's writes have no yardstick`)
  if (operation.feed !== undefined) {
    if (!store.readFeed) throw new Error('this build’s store has no event feed')
    await store.readFeed(scope, operation.feed)
  } else if (operation.query !== undefined) {
    const query = parse(operation.query)
    await (store.listTicketsJson ? store.listTicketsJson(scope, query) : store.listTickets(scope, query))
  } else if (operation.method === 'GET')
    await (store.getTicketDocument ? store.getTicketDocument(scope, operation.ticketId!) : store.getTicket(scope, operation.ticketId!))
  else if ((store.writeOnce ?? store.transact) && patchTicket) {
    // As the PATCH route calls it; the principal's scopes are checked by the route, not here.
    const principal = { clientId: 'bench-yardstick', providerId: operation.providerId, scopes: ['tickets:read', 'tickets:write'] }
    const patch = (ledger: unknown) => patchTicket(ledger, { principal, now: new Date() }, operation.ticketId!, JSON.parse(operation.body!))
    await (store.writeOnce ? store.writeOnce(patch) : store.transact!(patch))
  } else if (store.updateTicket) await store.updateTicket(scope, operation.ticketId!, JSON.parse(operation.body!), { now: new Date() })
  else throw new Error('this build’s store has neither transact (with patchTicket) nor updateTicket')
}

const keyOf = (o: Operation) => `${o.method} ${o.providerId} ${o.path}`

/** One plan per operation (identical operations share one recording). */
export async function recordPlans(build: Build, databaseUrl: string, operations: Operation[]): Promise<SqlPlan[]> {
  const { openStore } = await load<{ openStore(o: object): Promise<RecordingStore> }>(build, 'store/open-store.js')
  const { parseTicketQuery } = await load<{ parseTicketQuery(q: string): unknown }>(build, 'domain/ticket-query.js')
  // The lifecycle's PATCH (absent before it: the store's updateTicket is used then).
  const patchTicket = existsSync(join(distOf(build), 'domain/lifecycle/patch-ticket.js'))
    ? (await load<{ patchTicket: PatchTicket }>(build, 'domain/lifecycle/patch-ticket.js')).patchTicket
    : undefined
  const store = await openStore({ databaseUrl, dataDir: '.', migrate: false, poolSize: 4 })
  const plans = new Map<string, SqlPlan>()
  try {
    for (const operation of operations) {
      if (plans.has(keyOf(operation))) continue
      recording = []
      try {
        await perform(store, parseTicketQuery, patchTicket, operation)
      } finally {
        const sessions = new Map<object, Statement[]>()
        const inOrder: Statement[] = []
        const versions = new Set(recording.flatMap((entry) => (entry.version === undefined ? [] : [entry.version])))
        for (const { client, statement } of recording) {
          const freshIds = statement.parameters.flatMap((value, index) => (typeof value === 'string' && ULID.test(value) ? [index] : []))
          const readVersion = statement.parameters.findIndex((value) => typeof value === 'string' && versions.has(value))
          const recorded = { ...statement, ...(freshIds.length > 0 ? { freshIds } : {}), ...(readVersion >= 0 ? { readVersion } : {}) }
          sessions.set(client, [...(sessions.get(client) ?? []), recorded])
          inOrder.push(recorded)
        }
        // A write that names the version a read returned ran after that read (on whichever
        // pooled connection): replayed as one session, in the order recorded.
        const merged = inOrder.some((statement) => statement.readVersion !== undefined) ? [inOrder] : [...sessions.values()]
        plans.set(keyOf(operation), { sessions: merged })
        recording = undefined
      }
    }
  } finally {
    await store.close()
  }
  return operations.map((operation) => plans.get(keyOf(operation))!)
}

/** The build's own pg pool (its type parsers and session settings), for replaying plans. */
export async function openReplayPool(build: Build, databaseUrl: string, max: number): Promise<pg.Pool> {
  const { createPgPool } = await load<{ createPgPool(o: object): pg.Pool }>(build, 'store/drivers/pg-pool.js')
  return createPgPool({ connectionString: databaseUrl, max })
}
