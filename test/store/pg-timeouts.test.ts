// A network that silently drops everything (a black hole) must not hang requests: the
// client-side deadline answers 503 store-unavailable with Retry-After, the connection that
// timed out is discarded (not handed to the next request), and service resumes with the network.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A, seedStore, ticketsOf } from '../support/fixtures.js'
import { openTestStore, TEST_DATABASE_URL, type TestStore } from '../support/stores.js'
import { TcpProxy } from '../support/tcp-proxy.js'

const suite = TEST_DATABASE_URL ? describe : describe.skip
const STATEMENT_TIMEOUT_MS = 300 // the client-side deadline is 2 s above it

suite(`PostgreSQL behind a black hole${TEST_DATABASE_URL ? '' : ' [set TICKETS_TEST_DATABASE_URL to run]'}`, () => {
  let base: TestStore
  let proxy: TcpProxy
  let store: Store
  let app: FastifyInstance
  let token: string

  beforeAll(async () => {
    base = await openTestStore('postgres')
    await seedStore(base.store)
    const proxied = await TcpProxy.for(base.env.TICKETS_DATABASE_URL!)
    proxy = proxied.proxy
    // One connection: a timed-out connection handed back to the pool would be the next request's.
    store = await openStore({ databaseUrl: proxied.url, dataDir: '', poolSize: 1, statementTimeoutMs: STATEMENT_TIMEOUT_MS })
    app = await createTestApp(store)
    token = await tokenFor(app, store, PROVIDER_A)
  })

  afterAll(async () => {
    await app?.close()
    await store?.close()
    await proxy?.close()
    await base?.dispose()
  })

  const list = () => app.inject({ url: '/v2/tickets/tickets?limit=1', headers: bearer(token) })

  it('answers 503 store-unavailable with Retry-After when the server stops answering, then recovers on the same pool', async () => {
    expect((await list()).statusCode).toBe(200)

    proxy.blackhole()
    const started = Date.now()
    const response = await list()
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.json()).toMatchObject({ status: 503, code: 'store-unavailable' })
    expect(Date.now() - started).toBeLessThan(15_000) // bounded by the deadline, not by TCP

    proxy.resume()
    // The out-of-step connection was discarded: the next request gets a fresh one.
    const recovered = await list()
    expect(recovered.statusCode).toBe(200)
    expect(recovered.json().total).toBe(ticketsOf(PROVIDER_A).length)
  }, 30_000)

  it('lets the server cancel a slow statement first: 503 query-timeout, and the connection stays usable', async () => {
    await expect(
      store.db.executeQuery({ sql: 'SELECT pg_sleep(1)', parameters: [], query: { kind: 'RawNode' } } as never),
    ).rejects.toMatchObject({ code: '57014' })
    expect((await list()).statusCode).toBe(200)
  })
})
