// Who hears that events were committed. The ledger (and appendProviderEvent) report, after a
// transaction that wrote events has committed, the providers whose events it wrote; a NOTIFY
// subscription reports other processes' commits the same way (event-notify.ts). Listeners are
// the event hub (long polls) and, through it, the webhook dispatcher.
//
// Reported after the commit and outside it, never by a NOTIFY inside the write transaction:
// PostgreSQL serializes every committing transaction that has notified on one cluster-wide
// lock, which would make all writers wait for each other.

export type CommitListener = (providerIds: readonly string[]) => void

export class EventCommits {
  readonly #listeners = new Set<CommitListener>()
  readonly #missedListeners = new Set<() => void>()

  /** `report` hears a listener's error: a listener's bug must not fail a write that has committed. */
  constructor(private readonly report: (error: Error) => void = () => {}) {}

  on(listener: CommitListener): () => void {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  /** Listeners told that commits may have gone unreported (a lost subscription is back). */
  onMissed(listener: () => void): () => void {
    this.#missedListeners.add(listener)
    return () => void this.#missedListeners.delete(listener)
  }

  committed(providerIds: readonly string[]): void {
    if (providerIds.length === 0) return
    for (const listener of [...this.#listeners]) this.#call(() => listener(providerIds))
  }

  missed(): void {
    for (const listener of [...this.#missedListeners]) this.#call(listener)
  }

  #call(listener: () => void): void {
    try {
      listener()
    } catch (error) {
      this.report(error as Error)
    }
  }
}
