// The process's shared tails, one per provider that has live streams (SSE or websocket): opened
// by the first subscriber, closed when the last leaves, woken by the one event hub. One hub
// listener serves them all, so a commit costs a map lookup per provider it names.
import type { EventHub } from './event-hub.js'
import { ProviderTail, type TailStore } from './provider-tail.js'

export interface TailLease {
  tail: ProviderTail
  /** The subscriber is gone; the last one closes the tail. Idempotent. */
  release(): void
}

interface Held {
  opening: Promise<ProviderTail>
  tail: ProviderTail | undefined
  users: number
}

export class StreamTails {
  readonly #held = new Map<string, Held>()
  readonly #unsubscribe: Array<() => void>

  constructor(
    private readonly store: TailStore,
    hub: EventHub,
    private readonly options: { capacity: number; onError: (error: Error) => void },
  ) {
    this.#unsubscribe = [
      hub.onCommit((providerIds) => {
        for (const providerId of providerIds) this.#held.get(providerId)?.tail?.poke()
      }),
      // Commits may have gone unheard (the NOTIFY subscription was lost): every tail looks again.
      hub.onMissed(() => {
        for (const held of this.#held.values()) held.tail?.poke()
      }),
    ]
  }

  /** The provider's tail (opened on first use), held until `release`. */
  async acquire(providerId: string): Promise<TailLease> {
    let held = this.#held.get(providerId)
    if (!held || held.tail?.closed) {
      const fresh: Held = { opening: undefined as unknown as Promise<ProviderTail>, tail: undefined, users: 0 }
      fresh.opening = ProviderTail.open({ providerId, store: this.store, ...this.options }).then(
        (tail) => (fresh.tail = tail),
        (error: unknown) => {
          // A failed open (the database away) is not remembered: the next subscriber tries again.
          if (this.#held.get(providerId) === fresh) this.#held.delete(providerId)
          throw error
        },
      )
      this.#held.set(providerId, (held = fresh))
    }
    const current = held
    current.users += 1
    let tail: ProviderTail
    try {
      tail = await current.opening
    } catch (error) {
      current.users -= 1
      throw error
    }
    let released = false
    return {
      tail,
      release: () => {
        if (released) return
        released = true
        current.users -= 1
        if (current.users > 0) return
        tail.close()
        if (this.#held.get(providerId) === current) this.#held.delete(providerId)
      },
    }
  }

  /** Providers with an open tail (for tests and metrics). */
  get open(): number {
    return this.#held.size
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
    for (const held of this.#held.values()) held.tail?.close()
    this.#held.clear()
  }
}
