// API clients cached in memory, so authenticating a request costs no query. Kept exact by the
// NOTIFY subscription (migration 0003): every revocation, by any process, evicts the client
// before the next lookup. While it is down nothing is cached or served from the cache. A
// generation counter stops a lookup that raced a notification from caching what it read
// before the change.
//
// NOTIFY can be lost without anyone noticing (a connection that died silently between two
// heartbeats), so exactness is not trusted alone: every entry also expires after `ttlMs`. In
// the worst case a revocation takes effect everywhere within the TTL.
import type { ApiClient } from './client-store.js'

const MAX_ENTRIES = 10_000
export const CLIENT_CACHE_TTL_MS = 30_000

export interface ClientCacheOptions {
  ttlMs?: number
  /** The clock entries age by (tests control it). */
  now?: () => number
}

export class ClientCache {
  #entries = new Map<string, { client: ApiClient; cachedAt: number }>()
  #generation = 0
  #live = false
  readonly #ttlMs: number
  readonly #now: () => number

  constructor(options: ClientCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? CLIENT_CACHE_TTL_MS
    this.#now = options.now ?? Date.now
  }

  /** Looks the client up in the cache, or through `load` (caching the result when safe). */
  async find(clientId: string, load: (clientId: string) => Promise<ApiClient | undefined>): Promise<ApiClient | undefined> {
    if (this.#live) {
      const hit = this.#entries.get(clientId)
      if (hit && this.#now() - hit.cachedAt < this.#ttlMs) return hit.client
    }
    const generation = this.#generation
    const cachedAt = this.#now() // before the read: the entry is never younger than what it holds
    const client = await load(clientId)
    if (client && this.#live && generation === this.#generation) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear()
      this.#entries.set(clientId, { client, cachedAt })
    }
    return client
  }

  evict(clientId: string): void {
    this.#generation++
    this.#entries.delete(clientId)
  }

  /** Notifications flow again: whatever was cached before may have missed some. */
  subscribed(): void {
    this.#generation++
    this.#entries.clear()
    this.#live = true
  }

  lost(): void {
    this.#generation++
    this.#live = false
    this.#entries.clear()
  }
}
