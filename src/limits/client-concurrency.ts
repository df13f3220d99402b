// Requests in flight per API client. A partner firing many expensive queries at once holds at
// most `limit` database connections; its further requests wait their turn (up to QUEUE of
// them), so other partners' requests always find a connection.
//
// A long poll (GET /v2/system/events?wait=N) holds its slot only while it reads: waiting for a
// commit costs no connection, and a partner holding `limit` long polls must still be able to
// fetch the tickets their events name. See ClientSlot.
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

  /** A slot for the request, which it may give back while it waits for something else (a long poll). */
  async slot(clientId: string): Promise<ClientSlot> {
    return new ClientSlot(this, clientId, await this.acquire(clientId))
  }

  /** Clients with requests running or waiting (for metrics and tests). */
  get activeClients(): number {
    return this.#limits.size
  }
}

/** One request's slot: held from authentication to the response, except while suspended. */
export class ClientSlot {
  #release: (() => void) | undefined
  #finished = false

  constructor(
    private readonly concurrency: ClientConcurrency,
    private readonly clientId: string,
    release: () => void,
  ) {
    this.#release = release
  }

  /** Gives the slot back while the request waits on something that costs no connection. */
  suspend(): void {
    this.#release?.()
    this.#release = undefined
  }

  /** Takes a slot again, queued like a new request; false when the client's queue is full. */
  async resume(): Promise<boolean> {
    if (this.#finished) return false
    if (this.#release) return true
    let release: () => void
    try {
      release = await this.concurrency.acquire(this.clientId)
    } catch {
      return false
    }
    // The response may have ended while this waited in the queue: give it back at once.
    if (this.#finished) release()
    else this.#release = release
    return !this.#finished
  }

  /** The response is over (sent, or the client left). */
  finish(): void {
    this.#finished = true
    this.suspend()
  }
}
