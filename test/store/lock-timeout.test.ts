// Migrations and imports wait for locks at most a bounded time, then say what they waited for:
// another session holding the migration lock, or a lock on tickets.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeStartupError } from '../../src/cli/startup-errors.js'
import { loadConfig } from '../../src/config.js'
import { fromDatabaseError } from '../../src/errors/db-errors.js'
import { LockTimeoutError } from '../../src/store/lock-timeout.js'
import { migrate } from '../../src/store/migrate.js'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { ticket } from '../support/fixtures.js'
import { openTestStore, TEST_DATABASE_URL, type TestStore } from '../support/stores.js'
import { countTickets } from '../support/store-queries.js'

const suite = TEST_DATABASE_URL ? describe : describe.skip

describe('a lock wait that gave up', () => {
  it('is one line naming what it waited for and the store (CLI), and a 503 with Retry-After (HTTP)', () => {
    const error = new LockTimeoutError('the migration lock (another process is applying migrations)', 10_000)
    const config = loadConfig({ TICKETS_DATABASE_URL: 'postgres://u:pw@db.example:5432/tickets' })
    expect(describeStartupError(error, config)).toBe(
      'gave up after 10 s waiting for the migration lock (another process is applying migrations) on PostgreSQL at db.example:5432/tickets',
    )
    const problem = fromDatabaseError(error)
    expect([problem?.status, problem?.slug, problem?.extras.headers?.['retry-after']]).toEqual([503, 'store-unavailable', '5'])
  })
})

suite(`lock timeouts on PostgreSQL${TEST_DATABASE_URL ? '' : ' [set TICKETS_TEST_DATABASE_URL to run]'}`, () => {
  let base: TestStore
  let store: Store
  let holder: pg.Client

  beforeAll(async () => {
    base = await openTestStore('postgres')
    store = await openStore({ databaseUrl: base.env.TICKETS_DATABASE_URL!, dataDir: '', poolSize: 2, lockTimeoutMs: 300 })
    holder = new pg.Client({ connectionString: base.env.TICKETS_DATABASE_URL! })
    await holder.connect()
  })
  afterAll(async () => {
    await holder?.end()
    await store?.close()
    await base?.dispose()
  })

  /** Runs `work` while another session holds what `lock` takes, in an open transaction. */
  async function whileHeld<T>(lock: string, work: () => Promise<T>): Promise<T> {
    await holder.query('BEGIN')
    await holder.query(lock)
    try {
      return await work()
    } finally {
      await holder.query('ROLLBACK')
    }
  }

  it('a migration behind another migrator gives up and names the migration lock', async () => {
    const attempt = whileHeld('SELECT pg_advisory_xact_lock(7212734001)', () => migrate(store.db, { lockTimeoutMs: 300 }))
    await expect(attempt).rejects.toThrow('gave up after 0.3 s waiting for the migration lock (another process is applying migrations)')
    await expect(attempt).rejects.toMatchObject({ code: '55P03' })
    // Once the lock is free, migrating works (and there is nothing left to do).
    expect(await migrate(store.db, { lockTimeoutMs: 300 })).toEqual([])
  })

  it('an import behind a lock on tickets gives up, names it, and imports nothing', async () => {
    async function* batches() {
      yield [{ line: 1, providerId: ticket().source_provider_id, ticket: ticket() }]
    }
    const attempt = whileHeld('LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE', () => store.importTickets(batches()))
    await expect(attempt).rejects.toThrow(/^gave up after 0\.3 s waiting for a lock on the tickets table/)
    expect(await countTickets(store.db)).toBe(0)
    // Without the lock the same import goes through.
    expect(await store.importTickets(batches())).toEqual({ inserted: 1, updated: 0, unchanged: 0 })
  })
})
