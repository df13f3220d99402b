// Fault injection on PostgreSQL under a mixed load of list reads and PATCHes through the HTTP
// app: (a) every backend of the database is terminated, (b) the network turns into a black hole
// (a loopback TCP proxy stops forwarding without a word) and comes back. Every request must get
// a 2xx or a 503 problem with Retry-After (never a 500, never a hang), the service must recover
// by itself within seconds, and every PATCH answered 2xx must be in the database afterwards.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { SqlStore } from '../../src/store/sql-store.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A, seedStore, ticketsOf } from '../support/fixtures.js'
import { openTestStore, TEST_DATABASE_URL, type TestStore } from '../support/stores.js'
import { TcpProxy } from '../support/tcp-proxy.js'

const suite = TEST_DATABASE_URL ? describe : describe.skip
const WORKERS = 6
/** No request may take longer: the client-side deadline and the connect timeout bound them far below. */
const HANG_MS = 15_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Outcome {
  kind: 'list' | 'patch'
  status: number | 'hang'
  body: string
  retryAfter: string | undefined
  ms: number
}

suite(`PostgreSQL faults under load${TEST_DATABASE_URL ? '' : ' [set TICKETS_TEST_DATABASE_URL to run]'}`, () => {
  let base: TestStore
  let proxy: TcpProxy
  let store: SqlStore
  let app: FastifyInstance
  let token: string
  let admin: pg.Client
  const database = () => new URL(base.env.TICKETS_DATABASE_URL!).pathname.slice(1)

  beforeAll(async () => {
    base = await openTestStore('postgres')
    await seedStore(base.store)
    const proxied = await TcpProxy.for(base.env.TICKETS_DATABASE_URL!)
    proxy = proxied.proxy
    store = await openStore({
      databaseUrl: proxied.url, dataDir: '', poolSize: 4, statementTimeoutMs: 1_000, cacheClients: true, listenHeartbeatMs: 250,
    })
    app = await createTestApp(store, process.env.DEBUG_FAULTS ? { logger: { level: 'error' } } : {})
    token = await tokenFor(app, store, PROVIDER_A)
    admin = new pg.Client({ connectionString: base.env.TICKETS_DATABASE_URL! })
    await admin.connect()
  })

  afterAll(async () => {
    await admin?.end()
    await app?.close()
    await store?.close()
    await proxy?.close()
    await base?.dispose()
  })

  async function timed(kind: Outcome['kind'], request: Promise<LightMyRequestResponse>): Promise<Outcome> {
    const started = Date.now()
    const response = await Promise.race([request, sleep(HANG_MS).then(() => undefined)])
    const ms = Date.now() - started
    if (!response) return { kind, status: 'hang', body: '', retryAfter: undefined, ms }
    return { kind, status: response.statusCode, body: response.body, retryAfter: response.headers['retry-after'] as string | undefined, ms }
  }

  it('answers 2xx or 503 throughout, recovers by itself, and loses no acknowledged PATCH', async () => {
    const tickets = ticketsOf(PROVIDER_A).slice(0, WORKERS)
    const outcomes: Outcome[] = []
    /** Per worker: the sequence numbers of acknowledged PATCHes, and of every one sent. */
    const acked: number[][] = tickets.map(() => [])
    const sent: number[][] = tickets.map(() => [])
    let running = true

    const worker = async (w: number) => {
      for (let seq = 1; running; seq++) {
        if (seq % 2 === 0) {
          outcomes.push(await timed('list', app.inject({ url: '/v2/tickets/tickets?limit=5&sort_by[updated_at]=desc', headers: bearer(token) })))
        } else {
          sent[w]!.push(seq)
          const outcome = await timed(
            'patch',
            app.inject({
              method: 'PATCH',
              url: `/v2/tickets/tickets/${tickets[w]!.id}`,
              headers: { ...bearer(token), 'content-type': 'application/json' },
              payload: JSON.stringify({ external_reference: `fault-${w}-${seq}` }),
            }),
          )
          outcomes.push(outcome)
          if (typeof outcome.status === 'number' && outcome.status < 300) acked[w]!.push(seq)
        }
        await sleep(10)
      }
    }
    const load = tickets.map((_, w) => worker(w))

    await sleep(500)
    // (a) Every backend of the database goes away at once (the pool's and the LISTEN connection).
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database()])
    await sleep(1_000)
    // (b) The network turns into a black hole, then comes back.
    proxy.blackhole()
    await sleep(3_000)
    proxy.resume()
    const back = Date.now()
    // Recovery: within seconds, requests succeed again without anyone's help.
    let recoveredAfter: number | undefined
    while (recoveredAfter === undefined && Date.now() - back < 20_000) {
      const probe = await app.inject({ url: '/v2/tickets/tickets?limit=1', headers: bearer(token) })
      if (probe.statusCode === 200) recoveredAfter = Date.now() - back
      else await sleep(100)
    }
    await sleep(1_000)
    running = false
    await Promise.all(load)

    expect(recoveredAfter, 'recovered after the network came back').toBeDefined()
    expect(recoveredAfter!).toBeLessThan(20_000)

    // Every answer: a 2xx, or a 503 problem with Retry-After. Never a 500, never a hang.
    const statuses = new Map<string, number>()
    for (const o of outcomes) statuses.set(String(o.status), (statuses.get(String(o.status)) ?? 0) + 1)
    const bad = outcomes.filter((o) => !(typeof o.status === 'number' && ((o.status >= 200 && o.status < 300) || o.status === 503)))
    expect(bad.map((o) => `${o.kind} ${o.status} ${o.body.slice(0, 200)}`), JSON.stringify([...statuses])).toEqual([])
    for (const o of outcomes.filter((x) => x.status === 503)) {
      expect(o.retryAfter).toMatch(/^\d+$/)
      expect(['store-unavailable', 'query-timeout']).toContain((JSON.parse(o.body) as { code: string }).code)
    }
    // The faults really happened (some 503s) and the load really ran (some 2xx on both sides of them).
    expect(statuses.get('503') ?? 0).toBeGreaterThan(0)
    expect(outcomes.filter((o) => o.kind === 'patch' && o.status === 200).length).toBeGreaterThan(WORKERS)

    // Nothing acknowledged is lost: each ticket holds its last acknowledged PATCH, or a later
    // one whose answer was a 503 (a write may commit although its answer could not be given).
    for (const [w, t] of tickets.entries()) {
      const row = await base.store.getTicket({ providerId: PROVIDER_A }, t.id)
      const lastAcked = acked[w]!.at(-1)
      if (lastAcked === undefined) continue
      const match = /^fault-(\d+)-(\d+)$/.exec(row!.external_reference)
      expect(match, `ticket ${w} holds ${row!.external_reference}`).not.toBeNull()
      expect(Number(match![1])).toBe(w)
      expect(Number(match![2])).toBeGreaterThanOrEqual(lastAcked)
      expect(sent[w]).toContain(Number(match![2]))
    }
  }, 60_000)
})
