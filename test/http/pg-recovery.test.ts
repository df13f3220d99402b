// PostgreSQL going away while serving: requests answer 503 problems (never 500, never a hang)
// and the service recovers by itself when the database returns. A TCP proxy in front of the
// real server (test/support/tcp-proxy.ts) plays the network: closing it drops every connection
// and refuses new ones.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A, seedStore, ticketsOf } from '../support/fixtures.js'
import { openTestStore, TEST_DATABASE_URL, type TestStore } from '../support/stores.js'
import { TcpProxy } from '../support/tcp-proxy.js'

const suite = TEST_DATABASE_URL ? describe : describe.skip

suite(`PostgreSQL outage and recovery${TEST_DATABASE_URL ? '' : ' [set TICKETS_TEST_DATABASE_URL to run]'}`, () => {
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
    store = await openStore({ databaseUrl: proxied.url, dataDir: '', poolSize: 2 })
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

  it('answers 503 store-unavailable with Retry-After while the database is away, then recovers', async () => {
    expect((await list()).statusCode).toBe(200)

    await proxy.close()
    for (const response of [await list(), await list(), await app.inject({ url: '/readyz' })]) {
      expect(response.statusCode).toBe(503)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.headers['retry-after']).toBe('5')
      expect(JSON.parse(response.body)).toMatchObject({ type: 'about:blank', status: 503, code: 'store-unavailable' })
    }

    await proxy.open()
    const recovered = await list()
    expect(recovered.statusCode).toBe(200)
    expect(JSON.parse(recovered.body).total).toBe(ticketsOf(PROVIDER_A).length)
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200)
  })
})
