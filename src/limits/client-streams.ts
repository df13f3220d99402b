// Live streams (SSE and websocket) open at once per API client. A stream holds no database
// connection while it waits (see events/follower.ts), so it is not counted by the request
// concurrency limit; this bound keeps one partner's leak or reconnect loop from taking the
// server's sockets and memory.
import { AppError } from '../errors/app-error.js'

export class ClientStreams {
  readonly #open = new Map<string, number>()

  /** `limit` streams per client; 0: unlimited. */
  constructor(readonly limit: number) {}

  /** Counts a new stream of `clientId` and returns its release (idempotent); 429 beyond the limit. */
  admit(clientId: string): () => void {
    const open = this.#open.get(clientId) ?? 0
    if (this.limit > 0 && open >= this.limit)
      throw new AppError(
        'too-many-streams',
        `This API client already has ${open} live streams open (the limit is ${this.limit}); close one, or reuse it.`,
        { headers: { 'retry-after': '5' } },
      )
    this.#open.set(clientId, open + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.#open.get(clientId) ?? 1) - 1
      if (left > 0) this.#open.set(clientId, left)
      else this.#open.delete(clientId)
    }
  }

  /** Streams open over all clients (for tests and metrics). */
  get open(): number {
    let count = 0
    for (const open of this.#open.values()) count += open
    return count
  }
}
