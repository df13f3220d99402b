// The SQL the service runs for an operation, recorded rather than rebuilt: the measured build's
// own store (from its compiled dist/, so a --ref build records its own SQL) performs each
// distinct operation once against the bench database, while every query sent through `pg` is
// captured together with the connection it ran on. Queries on different connections ran side
// by side (the list's page and count); those on one connection ran in order (the PATCH
// transaction, BEGIN…COMMIT included). Not included, because the store is called directly: the
// bearer check and its API-client lookup.
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import type { Build } from './cli.js'
import type { Operation } from './scenarios.js'

export interface Statement {
  sql: string
  parameters: readonly unknown[]
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
  updateTicket(scope: Scope, id: string, patch: unknown, options: { now: Date }): Promise<unknown>
  close(): Promise<void>
}

let recording: Array<{ client: object; statement: Statement }> | undefined
const originalQuery = pg.Client.prototype.query
// Kysely's PostgresDialect calls client.query(sql, parameters) on a pooled pg.Client.
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (recording && typeof args[0] === 'string')
    recording.push({ client: this, statement: { sql: args[0], parameters: (args[1] as unknown[]) ?? [] } })
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args)
} as typeof pg.Client.prototype.query

const distOf = (build: Build) => dirname(dirname(build.entry))
const load = <T>(build: Build, module: string) => import(pathToFileURL(join(distOf(build), module)).href) as Promise<T>

async function perform(store: RecordingStore, parse: (q: string) => unknown, operation: Operation): Promise<void> {
  const scope = { providerId: operation.providerId }
  if (operation.query !== undefined) {
    const query = parse(operation.query)
    await (store.listTicketsJson ? store.listTicketsJson(scope, query) : store.listTickets(scope, query))
  } else if (operation.method === 'GET')
    await (store.getTicketDocument ? store.getTicketDocument(scope, operation.ticketId!) : store.getTicket(scope, operation.ticketId!))
  else await store.updateTicket(scope, operation.ticketId!, JSON.parse(operation.body!), { now: new Date() })
}

const keyOf = (o: Operation) => `${o.method} ${o.providerId} ${o.path}`

/** One plan per operation (identical operations share one recording). */
export async function recordPlans(build: Build, databaseUrl: string, operations: Operation[]): Promise<SqlPlan[]> {
  const { openStore } = await load<{ openStore(o: object): Promise<RecordingStore> }>(build, 'store/open-store.js')
  const { parseTicketQuery } = await load<{ parseTicketQuery(q: string): unknown }>(build, 'domain/ticket-query.js')
  const store = await openStore({ databaseUrl, dataDir: '.', migrate: false, poolSize: 4 })
  const plans = new Map<string, SqlPlan>()
  try {
    for (const operation of operations) {
      if (plans.has(keyOf(operation))) continue
      recording = []
      try {
        await perform(store, parseTicketQuery, operation)
      } finally {
        const sessions = new Map<object, Statement[]>()
        for (const { client, statement } of recording) sessions.set(client, [...(sessions.get(client) ?? []), statement])
        plans.set(keyOf(operation), { sessions: [...sessions.values()] })
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
