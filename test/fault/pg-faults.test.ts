// Fault injection on PostgreSQL under a mixed load of list reads and PATCHes through the HTTP
// app: (a) every backend of the database is terminated, (b) the network turns into a black hole
// (a loopback TCP proxy stops forwarding without a word) and comes back. Every request must get
// a 2xx or a 503 problem with Retry-After (never a 500, never a hang), the service must recover
// by itself within seconds, and every PATCH answered 2xx must be in the database afterwards.
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A, seedStore, ticketsOf } from '../support/fixtures.js'
import { openTestStore, TEST_DATABASE_URL, type TestStore } from '../support/stores.js'
import { TcpProxy } from '../support/tcp-proxy.js'
import { expectToSurvive, sleep } from './fault-load.js'

const suite = TEST_DATABASE_URL ? describe : describe.skip
const WORKERS = 6

suite(`PostgreSQL faults under load${TEST_DATABASE_URL ? '' : ' [set TICKETS_TEST_DATABASE_URL to run]'}`, () => {
  let base: TestStore
  let proxy: TcpProxy
  let store: Store
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
      databaseUrl: proxied.url,
      dataDir: '',
      poolSize: 4,
      statementTimeoutMs: 1_000,
      cacheClients: true,
      listenHeartbeatMs: 250,
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

  it('answers 2xx or 503 throughout, recovers by itself, and loses no acknowledged PATCH', async () => {
    await expectToSurvive(app, base.store, token, ticketsOf(PROVIDER_A).slice(0, WORKERS), async () => {
      // (a) Every backend of the database goes away at once (the pool's and the LISTEN connection).
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
        database(),
      ])
      await sleep(1_000)
      // (b) The network turns into a black hole, then comes back.
      proxy.blackhole()
      await sleep(3_000)
      proxy.resume()
    })
  }, 60_000)
})
