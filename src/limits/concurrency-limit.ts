// At most `limit` holders at once; up to `queue` more wait their turn in order; beyond that a
// caller is refused at once with its own error, so a burst costs a refusal, not a backlog.
export class ConcurrencyLimit {
  #running = 0
  readonly #waiting: Array<() => void> = []

  constructor(
    readonly limit: number,
    readonly queue: number,
  ) {}

  get running(): number {
    return this.#running
  }

  get waiting(): number {
    return this.#waiting.length
  }

  /** Waits for a slot; the returned function gives it back (calling it twice is harmless). */
  async acquire(refuse: () => Error): Promise<() => void> {
    if (this.#running >= this.limit) {
      if (this.#waiting.length >= this.queue) throw refuse()
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else this.#running++
    let released = false
    return () => {
      if (released) return
      released = true
      // Hand the slot straight to the next waiter, so a newcomer never jumps the queue.
      const next = this.#waiting.shift()
      if (next) next()
      else this.#running--
    }
  }

  async run<T>(task: () => Promise<T>, refuse: () => Error): Promise<T> {
    const release = await this.acquire(refuse)
    try {
      return await task()
    } finally {
      release()
    }
  }
}
