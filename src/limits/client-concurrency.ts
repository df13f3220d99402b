// Requests in flight per API client. A partner firing many expensive queries at once holds at
// most `limit` database connections; its further requests wait their turn (up to QUEUE of
// them), so other partners' requests always find a connection.
import { AppError } from '../errors/app-error.js'
import { ConcurrencyLimit } from './concurrency-limit.js'

/** Waiting requests per client beyond those running; a client past that gets 429s. */
const QUEUE = 32

export class ClientConcurrency {
  readonly #limits = new Map<string, ConcurrencyLimit>()

  constructor(readonly limit: number) {}

  /** Resolves with the slot's release once this client may proceed; 0 means unlimited. */
  async acquire(clientId: string): Promise<() => void> {
    if (this.limit === 0) return () => {}
    let limit = this.#limits.get(clientId)
    if (!limit) this.#limits.set(clientId, (limit = new ConcurrencyLimit(this.limit, QUEUE)))
    const release = await limit.acquire(
      () =>
        new AppError('rate-limited', `This API client already has ${this.limit + QUEUE} requests in flight; wait for some to finish.`, {
          headers: { 'retry-after': '1' },
        }),
    )
    const slot = limit
    return () => {
      release()
      // Idle clients are forgotten, so the map holds only clients with requests in flight.
      if (slot.running === 0 && slot.waiting === 0 && this.#limits.get(clientId) === slot) this.#limits.delete(clientId)
    }
  }

  /** Clients with requests running or waiting (for metrics and tests). */
  get activeClients(): number {
    return this.#limits.size
  }
}
