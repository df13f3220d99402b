// The in-memory client cache must never serve a revoked client: revocations by any writer
// evict at once, and a lookup racing a revocation must not cache what it read before it.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClientCache } from '../../src/store/client-cache.js'
import { createPgPool } from '../../src/store/drivers/pg-pool.js'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import type { ApiClient } from '../../src/store/client-store.js'
import { describeEachStore, openTestStore, TEST_DATABASE_URL, type TestStore } from '../support/stores.js'
import { TcpProxy } from '../support/tcp-proxy.js'
import { PROVIDER_A } from '../support/fixtures.js'

const client = (revokedAt: string | null = null): ApiClient => ({
  clientId: 'tc_1',
  providerId: PROVIDER_A,
  name: 'x',
  scopes: ['tickets:read'],
  secretHash: 'h',
  createdAt: '2026-01-01T00:00:00Z',
  revokedAt,
})

describe('client cache', () => {
  it('caches nothing until its subscription is live', async () => {
    const cache = new ClientCache()
    let loads = 0
    const load = async () => (loads++, client())
    await cache.find('tc_1', load)
    await cache.find('tc_1', load)
    expect(loads).toBe(2)
    cache.subscribed()
    await cache.find('tc_1', load)
    await cache.find('tc_1', load)
    expect(loads).toBe(3)
  })

  it('does not cache a read that raced a revocation', async () => {
    const cache = new ClientCache()
    cache.subscribed()
    const stale = cache.find('tc_1', async () => {
      cache.evict('tc_1') // the revocation's notification arrives while the read is in flight
      return client()
    })
    expect((await stale)?.revokedAt).toBeNull()
    expect((await cache.find('tc_1', async () => client('2026-02-02T00:00:00Z')))?.revokedAt).toBe('2026-02-02T00:00:00Z')
  })

  it('trusts an entry for its TTL only, so a lost NOTIFY delays a revocation by at most the TTL', async () => {
    let now = 1_000_000
    const cache = new ClientCache({ ttlMs: 30_000, now: () => now })
    cache.subscribed()
    let stored = client()
    let loads = 0
    const load = async () => (loads++, stored)
    await cache.find('tc_1', load)
    stored = client('2026-05-05T00:00:00Z') // revoked elsewhere; the notification never arrives
    now += 29_999
    expect((await cache.find('tc_1', load))?.revokedAt).toBeNull()
    expect(loads).toBe(1)
    now += 1
    expect((await cache.find('tc_1', load))?.revokedAt).toBe('2026-05-05T00:00:00Z')
    expect(loads).toBe(2)
  })

  it('forgets everything when the subscription is lost', async () => {
    const cache = new ClientCache()
    cache.subscribed()
    await cache.find('tc_1', async () => client())
    cache.lost()
    expect((await cache.find('tc_1', async () => client('2026-03-03T00:00:00Z')))?.revokedAt).toBe('2026-03-03T00:00:00Z')
  })
})

describeEachStore('client lookups through the cache', (ctx) => {
  it('see a revocation made through another connection on the next lookup', async () => {
    await ctx.store.createClient({ clientId: 'tc_cached', providerId: PROVIDER_A, name: 'n', scopes: ['tickets:read'], secretHash: 'h' })
    expect((await ctx.store.findClient('tc_cached'))?.revokedAt).toBeNull()
    expect((await ctx.store.findClient('tc_cached'))?.revokedAt).toBeNull()
    // A write that bypasses this store object, as another process's would.
    await ctx.store.db.updateTable('api_clients').set({ revoked_at: '2026-04-04T00:00:00Z' }).where('client_id', '=', 'tc_cached').execute()
    for (let i = 0; i < 50 && (await ctx.store.findClient('tc_cached'))?.revokedAt === null; i++)
      await new Promise((r) => setTimeout(r, 10))
    expect((await ctx.store.findClient('tc_cached'))?.revokedAt).toBe('2026-04-04T00:00:00Z')
  })
})

const pgSuite = TEST_DATABASE_URL ? describe : describe.skip
const until = async (condition: () => boolean | Promise<boolean>, ms = 5_000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (await condition()) return true
  return condition()
}

pgSuite(`revocations when NOTIFY is lost [postgres]${TEST_DATABASE_URL ? '' : ' [set TICKETS_TEST_DATABASE_URL to run]'}`, () => {
  let base: TestStore
  let other: Store
  const TTL_MS = 1_500

  beforeAll(async () => {
    base = await openTestStore('postgres')
    // Another server process on the same database, with a short cache TTL.
    other = await openStore({
      databaseUrl: base.env.TICKETS_DATABASE_URL!,
      dataDir: '',
      poolSize: 2,
      cacheClients: true,
      clientCacheTtlMs: TTL_MS,
    })
  })
  afterAll(async () => {
    await other?.close()
    await base?.dispose()
  })

  it('refuse a revoked client within the TTL even though no notification is ever sent', async () => {
    await base.store.createClient({ clientId: 'tc_silent', providerId: PROVIDER_A, name: 'n', scopes: ['tickets:read'], secretHash: 'h' })
    expect((await other.findClient('tc_silent'))?.revokedAt).toBeNull() // now cached
    // Revoke without firing the notify trigger (as if the NOTIFY were lost on the way).
    const admin = new pg.Client({ connectionString: base.env.TICKETS_DATABASE_URL! })
    await admin.connect()
    await admin.query('BEGIN')
    await admin.query('SET LOCAL session_replication_role = replica')
    await admin.query(`UPDATE api_clients SET revoked_at = now() WHERE client_id = 'tc_silent'`)
    await admin.query('COMMIT')
    await admin.end()
    const revokedAt = Date.now()
    // Still served from the cache: the notification really never came.
    expect((await other.findClient('tc_silent'))?.revokedAt).toBeNull()
    expect(await until(async () => (await other.findClient('tc_silent'))?.revokedAt !== null)).toBe(true)
    expect(Date.now() - revokedAt).toBeLessThan(TTL_MS + 2_000)
  }, 15_000)

  it('treat a LISTEN connection that stops answering its heartbeat as lost, and subscribe again when it is back', async () => {
    const { proxy, url } = await TcpProxy.for(base.env.TICKETS_DATABASE_URL!)
    const pool = createPgPool({ connectionString: url, heartbeatMs: 100 })
    const events: string[] = []
    const unlisten = await pool.listen!('tickets_test_channel', {
      onNotify: () => events.push('notify'),
      onSubscribed: () => events.push('subscribed'),
      onLost: () => events.push('lost'),
    })
    try {
      expect(events).toEqual(['subscribed'])
      proxy.blackhole() // no error, no FIN: only the heartbeat can tell
      expect(await until(() => events.includes('lost'))).toBe(true)
      proxy.resume()
      expect(await until(() => events.filter((e) => e === 'subscribed').length === 2, 10_000)).toBe(true)
    } finally {
      await unlisten()
      await pool.end()
      await proxy.close()
    }
  }, 20_000)
})
