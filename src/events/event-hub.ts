// One shared wake-up for everything that follows the feed: long polls wait on `next`, the
// webhook dispatcher subscribes with `onCommit`. It is told of commits by the store (this
// process's at once, other processes' through NOTIFY; see store/event-commits.ts), so a
// waiting request holds a promise and nothing else: no timer, no query, no CPU until a
// commit of its provider (or the end of its wait).

/** Where the hub hears of commits: the store (EventFeedStore has exactly these). */
export interface CommitSource {
  onEventsCommitted(listener: (providerIds: readonly string[]) => void): () => void
  onEventsMissed(listener: () => void): () => void
}

export class EventHub {
  readonly #waiters = new Map<string, Set<() => void>>()
  readonly #commitListeners = new Set<(providerIds: readonly string[]) => void>()
  readonly #missedListeners = new Set<() => void>()
  readonly #unsubscribe: Array<() => void> = []

  constructor(source?: CommitSource) {
    if (!source) return
    this.#unsubscribe.push(
      source.onEventsCommitted((providerIds) => this.committed(providerIds)),
      source.onEventsMissed(() => this.missed()),
    )
  }

  /**
   * Resolves once events of `providerId` may have been committed after this call (a hint: read
   * the feed again, it may still hold nothing new for you). Rejects with the signal's reason
   * when `signal` aborts first. Call it before the read whose emptiness makes you wait, so that
   * a commit landing between that read and the wait is not missed.
   */
  next(providerId: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error)
    return new Promise<void>((resolve, reject) => {
      let waiters = this.#waiters.get(providerId)
      if (!waiters) this.#waiters.set(providerId, (waiters = new Set()))
      const set = waiters
      const done = () => {
        set.delete(wake)
        if (set.size === 0 && this.#waiters.get(providerId) === set) this.#waiters.delete(providerId)
        signal?.removeEventListener('abort', abort)
      }
      const wake = () => {
        done()
        resolve()
      }
      const abort = () => {
        done()
        reject(signal!.reason as Error)
      }
      set.add(wake)
      signal?.addEventListener('abort', abort, { once: true })
    })
  }

  /** Calls `listener` after every commit that wrote events, with their providers. Returns the unsubscribe. */
  onCommit(listener: (providerIds: readonly string[]) => void): () => void {
    this.#commitListeners.add(listener)
    return () => void this.#commitListeners.delete(listener)
  }

  /**
   * Calls `listener` when commits may have gone unheard (the NOTIFY subscription was lost and
   * is back): treat every provider as changed. Returns the unsubscribe.
   */
  onMissed(listener: () => void): () => void {
    this.#missedListeners.add(listener)
    return () => void this.#missedListeners.delete(listener)
  }

  /** Events of these providers were committed. */
  committed(providerIds: readonly string[]): void {
    for (const providerId of providerIds) {
      const waiters = this.#waiters.get(providerId)
      if (!waiters) continue
      this.#waiters.delete(providerId)
      for (const wake of [...waiters]) wake()
    }
    callEach(this.#commitListeners, (listener) => listener(providerIds))
  }

  /** Commits may have gone unheard: every waiter looks again. */
  missed(): void {
    this.#wakeAll()
    callEach(this.#missedListeners, (listener) => listener())
  }

  /** Requests waiting, over all providers (for tests and metrics). */
  get waiting(): number {
    let count = 0
    for (const waiters of this.#waiters.values()) count += waiters.size
    return count
  }

  /** Stops hearing the store; whoever still waits looks again once (and finds the hub silent). */
  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
    this.#wakeAll()
  }

  #wakeAll(): void {
    const all = [...this.#waiters.values()].flatMap((waiters) => [...waiters])
    this.#waiters.clear()
    for (const wake of all) wake()
  }
}

/** Calls every listener even when one throws; then throws the first error (the store reports it). */
function callEach<L>(listeners: Set<L>, call: (listener: L) => void): void {
  let failure: unknown
  for (const listener of [...listeners])
    try {
      call(listener)
    } catch (error) {
      failure ??= error
    }
  if (failure !== undefined) throw failure
}
