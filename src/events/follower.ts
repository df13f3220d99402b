// One subscriber of a live stream (SSE or websocket) following its provider's shared tail.
//
// Caught up, it takes from the tail's ring the events that match its filter, in memory. Behind
// (resuming from an older id, or too slow for the ring) it catches up from the store on its own,
// filtered, a page at a time, then joins the tail without a gap or a repeat:
//   1. it notes the ring's end E (the tail's position P at that moment) before reading;
//   2. it reads the feed after its own position until a short page (all it can serve now);
//   3. it waits for a tail read that started after step 2, so the ring covers what step 2 saw;
//   4. if its last position is in the ring at or after E, it continues right after it (the
//      events between were read in step 2); otherwise that position is at or before P, no event
//      after P matched in step 2, and it continues from E.
// Step 4 relies on fences only moving forward (see store/event-feed-sql.ts): whatever step 2
// served, the later tail read serves too, in the same order.
//
// Backpressure: when the sink says its buffer is full the follower waits for it to drain; a
// sink that does not drain in time ends the follow ('slow') instead of buffering without bound.
import type { EventFeedStore, FeedFilter } from '../store/event-feed.js'
import { matchesFilter, toFeedEntry, type FeedEntry } from './feed-entry.js'
import type { SuspendableSlot } from './long-poll.js'
import type { ProviderTail } from './provider-tail.js'

/** Where the events go: an SSE response or a websocket. */
export interface EventSink {
  /** Sends one event; false when the client's buffer is full: call drained() before sending more. */
  send(entry: FeedEntry): boolean
  /** Resolves true once the client has taken what was sent; false when it did not in time, or left. */
  drained(): Promise<boolean>
}

export type FollowEnd =
  /** `signal` aborted: the stream's lifetime, the client leaving, the server stopping. */
  | 'stopped'
  /** The client did not take what was sent in time. */
  | 'slow'
  /** The tail closed (its position was purged, or the server is closing it). */
  | 'tail-closed'
  /** The follower's own position was purged while it caught up. */
  | 'lost'
  /** The client's concurrency queue was full when a catch-up read needed a slot. */
  | 'busy'

export interface FollowOptions {
  tail: ProviderTail
  store: Pick<EventFeedStore, 'readFeed'>
  /** What the subscriber wants now; 'none' while it wants nothing (a websocket without subscriptions). */
  filter: () => FeedFilter | 'none'
  /** After this event (undefined: before every event), or at the tail's current end. */
  start: { after: string | undefined } | 'tail'
  sink: EventSink
  signal: AbortSignal
  /** The client's concurrency slot, taken only around catch-up reads. */
  slot?: SuspendableSlot | undefined
  /** Events per catch-up read (default 500). */
  pageSize?: number
}

type Joined = { pointer: number } | { end: FollowEnd } | 'again'

export class Follower {
  /** The last event this follower has passed in feed order (sent, or skipped by its filter). */
  position: string | undefined
  readonly #options: FollowOptions
  /** Where in the ring it starts; undefined: it starts by catching up. Taken with `position`, at once. */
  readonly #startPointer: number | undefined
  #wake: (() => void) | undefined

  constructor(options: FollowOptions) {
    this.#options = options
    this.position = options.start === 'tail' ? options.tail.position : options.start.after
    this.#startPointer = options.start === 'tail' ? options.tail.end : undefined
  }

  async run(): Promise<FollowEnd> {
    const { tail, signal } = this.#options
    // One listener each for the whole follow, never one per wait.
    const wake = () => this.#wake?.()
    const unlisten = tail.onChange(wake)
    signal.addEventListener('abort', wake, { once: true })
    try {
      let pointer = this.#startPointer
      for (;;) {
        if (signal.aborted) return 'stopped'
        if (tail.closed) return 'tail-closed'
        if (pointer === undefined) {
          const joined = await this.#catchUp()
          if (joined === 'again') continue
          if ('end' in joined) return joined.end
          pointer = joined.pointer
          continue
        }
        const entry = tail.entry(pointer)
        if (entry === 'evicted') {
          pointer = undefined
          continue
        }
        if (entry === undefined) {
          await new Promise<void>((resolve) => (this.#wake = resolve))
          this.#wake = undefined
          continue
        }
        pointer += 1
        this.position = entry.id
        const filter = this.#options.filter()
        if (filter !== 'none' && matchesFilter(entry, filter) && !this.#options.sink.send(entry))
          if (!(await this.#options.sink.drained())) return signal.aborted ? 'stopped' : 'slow'
      }
    } finally {
      unlisten()
      signal.removeEventListener('abort', wake)
    }
  }

  async #catchUp(): Promise<Joined> {
    const { tail, store, sink, signal, slot } = this.#options
    const pageSize = this.#options.pageSize ?? 500
    const joinAt = tail.end
    const filter = this.#options.filter()
    if (filter === 'none') {
      // Nothing can match: there is nothing to catch up on.
      this.position = tail.position
      return { pointer: joinAt }
    }
    for (;;) {
      if (slot && !(await slot.resume())) return { end: 'busy' }
      let page
      try {
        page = await store.readFeed(
          { providerId: tail.providerId },
          { ...filter, ...(this.position !== undefined ? { afterId: this.position } : {}), limit: pageSize },
        )
      } finally {
        slot?.suspend()
      }
      if (!page.found) return { end: 'lost' }
      for (const doc of page.events) {
        if (signal.aborted) return { end: 'stopped' }
        const entry = toFeedEntry(doc)
        this.position = entry.id
        if (!sink.send(entry) && !(await sink.drained())) return { end: signal.aborted ? 'stopped' : 'slow' }
      }
      if (signal.aborted) return { end: 'stopped' }
      if (page.events.length < pageSize) break
    }
    await tail.refresh()
    // The ring moved past where we joined while we read: catch up again from where we are.
    if (joinAt < tail.base) return 'again'
    const seen = this.position !== undefined ? tail.find(this.position, joinAt) : undefined
    return { pointer: seen !== undefined ? seen + 1 : joinAt }
  }
}
