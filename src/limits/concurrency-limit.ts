// At most `limit` tasks at once; up to `queue` more wait their turn in order; beyond that a
// task is refused at once with the caller's error, so a burst costs a refusal, not a backlog.
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

  async run<T>(task: () => Promise<T>, refuse: () => Error): Promise<T> {
    if (this.#running >= this.limit) {
      if (this.#waiting.length >= this.queue) throw refuse()
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else this.#running++
    try {
      return await task()
    } finally {
      // Hand the slot straight to the next waiter, so #running never dips and lets a newcomer in first.
      const next = this.#waiting.shift()
      if (next) next()
      else this.#running--
    }
  }
}
