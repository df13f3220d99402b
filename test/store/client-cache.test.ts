// The in-memory client cache must never serve a revoked client: revocations by any writer
// evict at once, and a lookup racing a revocation must not cache what it read before it.
import { describe, expect, it } from 'vitest'
import { ClientCache } from '../../src/store/client-cache.js'
import type { ApiClient } from '../../src/store/store.js'
import { describeEachStore } from '../support/stores.js'
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
    for (let i = 0; i < 50 && (await ctx.store.findClient('tc_cached'))?.revokedAt === null; i++) await new Promise((r) => setTimeout(r, 10))
    expect((await ctx.store.findClient('tc_cached'))?.revokedAt).toBe('2026-04-04T00:00:00Z')
  })
})
