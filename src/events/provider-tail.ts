// The shared tail of one provider's feed: one reader per provider per process, however many
// live streams follow it. Woken by the event hub, it reads the feed unfiltered after its last
// position (the same commit-safe order as GET /v2/system/events) and keeps the most recent
// events in a bounded ring; every caught-up subscriber picks what matches its filters from
// the ring in memory (see follower.ts). So a commit costs one query per provider, not one per
// subscriber.
//
// Positions in the ring are sequence numbers: `end` is the number the next event will get,
// `base` that of the oldest event still held. A subscriber whose next number fell below `base`
// was too slow for the ring and catches up from the store on its own.
import type { EventFeedStore } from '../store/event-feed.js'
import type { FeedEndStore } from '../store/feed-end.js'
import { toFeedEntry, type FeedEntry } from './feed-entry.js'
import { BACKOFF_MS } from './long-poll.js'

export type TailStore = Pick<EventFeedStore, 'readFeed'> & FeedEndStore

/** Events read per statement; a burst larger than this is read in several. */
const PAGE = 1000
/** After a failed read (the database away), try again this much later while anyone follows. */
const RETRY_AFTER_ERROR_MS = 1000

export interface TailOptions {
  providerId: string
  store: TailStore
  /** Events kept for subscribers that are a little behind (at least this many, at most 1.25 times). */
  capacity: number
  /** Hears failed reads (retried) and a lost position (the tail closes). */
  onError: (error: Error) => void
}

export class ProviderTail {
  readonly providerId: string
  readonly #store: TailStore
  readonly #capacity: number
  readonly #onError: (error: Error) => void
  readonly #entries: FeedEntry[] = []
  readonly #seqOf = new Map<string, number>()
  readonly #listeners = new Set<() => void>()
  #base = 0
  #position: string | undefined
  #closed = false
  #running: Promise<void> | undefined
  #queued: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #backoff = BACKOFF_MS.first

  private constructor(options: TailOptions, position: string | undefined) {
    this.providerId = options.providerId
    this.#store = options.store
    this.#capacity = options.capacity
    this.#onError = options.onError
    this.#position = position
  }

  /** A tail positioned at the current end of the provider's feed. */
  static async open(options: TailOptions): Promise<ProviderTail> {
    const tail = new ProviderTail(options, await options.store.feedEnd({ providerId: options.providerId }))
    // A commit between feedEnd and the hub's next wake-up would otherwise wait for the one after.
    tail.poke()
    return tail
  }

  /** The id of the last event read (or where the tail opened); undefined: before every event. */
  get position(): string | undefined {
    return this.#position
  }

  /** The sequence number the next event read will get. */
  get end(): number {
    return this.#base + this.#entries.length
  }

  /** The sequence number of the oldest event still held. */
  get base(): number {
    return this.#base
  }

  get closed(): boolean {
    return this.#closed
  }

  /** The event numbered `seq`: undefined when not read yet, 'evicted' when no longer held. */
  entry(seq: number): FeedEntry | 'evicted' | undefined {
    if (seq < this.#base) return 'evicted'
    return this.#entries[seq - this.#base]
  }

  /** The number of the event `id` if the ring holds it at `from` or later. */
  find(id: string, from: number): number | undefined {
    const seq = this.#seqOf.get(id)
    return seq !== undefined && seq >= from ? seq : undefined
  }

  /** Calls `listener` after every read that added events, and when the tail closes. Returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  /**
   * Resolves once a read that started after this call has finished: everything the feed could
   * serve at the call is then in the ring (or was, before faster events pushed it out).
   */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    if (!this.#running) {
      this.#running = this.#readAll().finally(() => (this.#running = undefined))
      return this.#running
    }
    // One read queued behind the running one serves every caller that arrives meanwhile.
    this.#queued ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined
        return this.refresh()
      })
    return this.#queued
  }

  /** The hub says events may have been committed: read, retrying while the database is away. */
  poke(): void {
    this.refresh().catch((error: unknown) => {
      if (this.#closed) return
      this.#onError(error as Error)
      this.#schedule(RETRY_AFTER_ERROR_MS)
    })
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#timer)
    this.#notify()
    this.#listeners.clear()
  }

  async #readAll(): Promise<void> {
    for (;;) {
      if (this.#closed) return
      const after = this.#position
      const page = await this.#store.readFeed(
        { providerId: this.providerId },
        { ...(after !== undefined ? { afterId: after } : {}), limit: PAGE },
      )
      if (this.#closed) return
      if (!page.found) {
        // The retention purge took the tail's own position: it cannot tell what follows it any
        // more. Its subscribers end; they resume from their own positions (or learn they are too old).
        this.#onError(new Error(`the live stream of provider ${this.providerId} lost its position ${after} to the retention purge`))
        this.close()
        return
      }
      this.#append(page.events)
      if (page.events.length < PAGE) {
        // Committed events held back by an older open transaction: no commit of ours may announce
        // their release (it can be another provider's), so look again soon, backing off.
        if (page.pending) {
          this.#schedule(this.#backoff)
          this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MS.max)
        } else this.#backoff = BACKOFF_MS.first
        return
      }
    }
  }

  #append(docs: readonly string[]): void {
    if (docs.length === 0) return
    for (const doc of docs) {
      const entry = toFeedEntry(doc)
      this.#seqOf.set(entry.id, this.end)
      this.#entries.push(entry)
      this.#position = entry.id
    }
    // Trimmed in batches, so that a steady flow does not shift the array on every event.
    if (this.#entries.length > this.#capacity * 1.25) {
      const dropped = this.#entries.splice(0, this.#entries.length - this.#capacity)
      for (const entry of dropped) this.#seqOf.delete(entry.id)
      this.#base += dropped.length
    }
    this.#notify()
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener()
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined || this.#closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.poke()
    }, ms)
    this.#timer.unref()
  }
}
