// PostgreSQL stopped and started again under load (a server of the test's own: the shared one
// serves every other test). Every request gets a 2xx or a 503 problem, the service reconnects
// by itself once the server is back, and no acknowledged PATCH is lost. Also: a server that
// dies without a clean shutdown (immediate mode, as on a crash) keeps what it acknowledged.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A, seedStore, ticketsOf } from '../support/fixtures.js'
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js'
import { TEST_DATABASE_URL } from '../support/stores.js'
import { expectToSurvive, sleep } from './fault-load.js'

// Runs where the PostgreSQL tests run (the binaries come with the server).
const suite = TEST_DATABASE_URL ? describe : describe.skip

suite(`PostgreSQL stopped and started under load${TEST_DATABASE_URL ? '' : ' [set TICKETS_TEST_DATABASE_URL to run]'}`, () => {
  let server: PrivatePostgres
  let store: Store
  let app: FastifyInstance
  let token: string

  beforeAll(async () => {
    server = await startPrivatePostgres()
    store = await openStore({
      databaseUrl: server.url,
      dataDir: '',
      poolSize: 4,
      statementTimeoutMs: 1_000,
      cacheClients: true,
      listenHeartbeatMs: 250,
    })
    await seedStore(store)
    app = await createTestApp(store)
    token = await tokenFor(app, store, PROVIDER_A)
  }, 120_000)

  afterAll(async () => {
    await app?.close()
    await store?.close()
    await server?.dispose()
  })

  it('survives a clean stop and start, and a crash and restart, losing no acknowledged PATCH', async () => {
    await expectToSurvive(app, store, token, ticketsOf(PROVIDER_A).slice(0, 4), async () => {
      await server.stop('fast')
      await sleep(1_500)
      await server.start()
      await sleep(1_500)
      await server.stop('immediate')
      await sleep(1_000)
      await server.start()
    })
  }, 120_000)
})
