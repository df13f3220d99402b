// API clients cached in memory, so authenticating a request costs no query. Correct only
// while the NOTIFY subscription (migration 0003) is live: every revocation, by any process,
// evicts the client before the next lookup. While it is down nothing is cached or served from
// the cache. A generation counter stops a lookup that raced a notification from caching what
// it read before the change.
import type { ApiClient } from './store.js'

const MAX_ENTRIES = 10_000

export class ClientCache {
  #entries = new Map<string, ApiClient>()
  #generation = 0
  #live = false

  /** Looks the client up in the cache, or through `load` (caching the result when safe). */
  async find(clientId: string, load: (clientId: string) => Promise<ApiClient | undefined>): Promise<ApiClient | undefined> {
    if (this.#live) {
      const hit = this.#entries.get(clientId)
      if (hit) return hit
    }
    const generation = this.#generation
    const client = await load(clientId)
    if (client && this.#live && generation === this.#generation) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear()
      this.#entries.set(clientId, client)
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
