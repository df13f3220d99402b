// The live streams' fan-out over a store that plays the feed's rules in memory (feed order, a
// fence that holds events back, filters, unknown positions): one read per commit for any number
// of caught-up followers; a follower that starts behind, or falls out of the ring because it is
// slow, catches up from the store and joins the ring with nothing skipped or repeated, while
// events keep coming; a sink that never drains ends its follow; held-back events are read again
// without a new commit.
import { afterEach, describe, expect, it } from 'vitest'
import { EventHub } from '../../src/events/event-hub.js'
import { Follower, type EventSink, type FollowEnd } from '../../src/events/follower.js'
import type { FeedEntry } from '../../src/events/feed-entry.js'
import { StreamTails } from '../../src/events/stream-tails.js'
import type { FeedFilter, FeedPage, FeedRead } from '../../src/store/event-feed.js'

const PROVIDER = 'p1'

class MemoryFeed {
  readonly events: Array<{ id: string; type: string; doc: string }> = []
  /** Events at this index and later are held back by an "open transaction". */
  fence = Infinity
  reads = 0
  /** Called at the start of each read (to commit while a follower catches up). */
  onRead: (() => void) | undefined

  append(count: number, type = 'tickets.ticket.created'): void {
    for (let i = 0; i < count; i++) {
      const id = `E${String(this.events.length + 1).padStart(6, '0')}`
      const doc = JSON.stringify({ id, type, occurred_at: '2026-01-01T00:00:00.000Z', payload: { ticket: { id: 't' } } })
      this.events.push({ id, type, doc })
    }
  }

  ids(filter: (type: string) => boolean = () => true, after?: string): string[] {
    const start = after === undefined ? 0 : this.events.findIndex((e) => e.id === after) + 1
    return this.events
      .slice(start)
      .filter((e) => filter(e.type))
      .map((e) => e.id)
  }

  readonly store = {
    readFeed: async (_scope: { providerId: string }, read: FeedRead): Promise<FeedPage> => {
      this.reads += 1
      this.onRead?.()
      await Promise.resolve()
      let start = 0
      if (read.afterId !== undefined) {
        start = this.events.findIndex((e) => e.id === read.afterId) + 1
        if (start === 0) return { found: false }
      }
      const matches = (type: string) => matchesTypes(type, read)
      const visible = this.events.slice(start, Math.min(this.events.length, this.fence)).filter((e) => matches(e.type))
      const page = visible.slice(0, read.limit)
      const pending = this.events.slice(Math.max(start, Math.min(this.events.length, this.fence))).some((e) => matches(e.type))
      return { found: true, events: page.map((e) => e.doc), lastId: page.at(-1)?.id, pending }
    },
    feedEnd: async () => this.events.slice(0, Math.min(this.events.length, this.fence)).at(-1)?.id,
  }
}

function matchesTypes(type: string, filter: FeedFilter): boolean {
  const types = filter.types ?? []
  const prefixes = filter.typePrefixes ?? []
  return (types.length === 0 && prefixes.length === 0) || types.includes(type) || prefixes.some((p) => type.startsWith(p))
}

/** A sink that records what it was sent; `full` makes it report a full buffer until `drain()`. */
class RecordingSink implements EventSink {
  readonly ids: string[] = []
  full = false
  #waiting: ((ok: boolean) => void) | undefined
  send(entry: FeedEntry): boolean {
    this.ids.push(entry.id)
    return !this.full
  }
  drained(): Promise<boolean> {
    return new Promise((resolve) => (this.#waiting = resolve))
  }
  drain(ok = true): void {
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.(ok)
  }
  get waiting(): boolean {
    return this.#waiting !== undefined
  }
}

const cleanup: Array<() => void> = []
afterEach(() => {
  for (const step of cleanup.splice(0)) step()
})

async function setup(feed: MemoryFeed, capacity = 100) {
  const hub = new EventHub()
  const tails = new StreamTails(feed.store, hub, { capacity, onError: (error) => expect.fail(error.message) })
  cleanup.push(() => tails.close())
  const lease = await tails.acquire(PROVIDER)
  cleanup.push(() => lease.release())
  await lease.tail.refresh()
  return { hub, tails, tail: lease.tail, commit: () => hub.committed([PROVIDER]) }
}

function follow(
  tail: Awaited<ReturnType<typeof setup>>['tail'],
  feed: MemoryFeed,
  options: { start?: { after: string | undefined } | 'tail'; filter?: FeedFilter; sink?: RecordingSink; pageSize?: number } = {},
) {
  const sink = options.sink ?? new RecordingSink()
  const stop = new AbortController()
  cleanup.push(() => stop.abort())
  const follower = new Follower({
    tail,
    store: feed.store,
    filter: () => options.filter ?? {},
    start: options.start ?? 'tail',
    sink,
    signal: stop.signal,
    pageSize: options.pageSize ?? 500,
  })
  const ended: Promise<FollowEnd> = follower.run()
  return { sink, follower, stop, ended }
}

describe('live stream fan-out', () => {
  it('serves any number of caught-up followers from one read per commit', async () => {
    const feed = new MemoryFeed()
    feed.append(3)
    const { tail, commit } = await setup(feed)
    const followers = Array.from({ length: 200 }, () => follow(tail, feed))
    const readsBefore = feed.reads
    feed.append(50)
    commit()
    await expect.poll(() => followers.every((f) => f.sink.ids.length === 50)).toBe(true)
    expect(feed.reads - readsBefore).toBe(1)
    for (const f of followers) expect(f.sink.ids).toEqual(feed.ids(undefined, 'E000003'))
    // A filter picks in memory: no read of its own.
    const closed = follow(tail, feed, { filter: { types: ['tickets.ticket.closed'] } })
    const before = feed.reads
    feed.append(2, 'tickets.ticket.closed')
    feed.append(2)
    commit()
    await expect.poll(() => closed.sink.ids.length).toBe(2)
    expect(feed.reads - before).toBe(1)
  })

  it('catches a follower up from the store, page by page, and joins the ring without gap or repeat while events keep coming', async () => {
    const feed = new MemoryFeed()
    feed.append(40)
    const { tail, commit } = await setup(feed)
    // Every read of the store commits a few more events (and tells the hub).
    feed.onRead = () => {
      if (feed.events.length < 120) {
        feed.append(3)
        queueMicrotask(commit)
      }
    }
    const behind = follow(tail, feed, { start: { after: 'E000005' }, pageSize: 7 })
    const filtered = follow(tail, feed, { start: { after: undefined }, pageSize: 4, filter: { typePrefixes: ['tickets.ticket.c'] } })
    await expect.poll(() => feed.events.length).toBeGreaterThanOrEqual(120)
    feed.onRead = undefined
    feed.append(5)
    commit()
    await expect.poll(() => behind.sink.ids.length).toBe(feed.events.length - 5)
    expect(behind.sink.ids).toEqual(feed.ids(undefined, 'E000005'))
    await expect.poll(() => filtered.sink.ids.length).toBe(feed.events.length)
    expect(filtered.sink.ids).toEqual(feed.ids())
  })

  it('lets a slow follower fall out of the ring and catch up from the store, still exactly once', async () => {
    const feed = new MemoryFeed()
    const { tail, commit } = await setup(feed, 8)
    const sink = new RecordingSink()
    const slow = follow(tail, feed, { sink })
    sink.full = true
    feed.append(1)
    commit()
    await expect.poll(() => sink.waiting).toBe(true)
    // While it waits, the ring (8 to 10 events) moves far past it.
    for (let i = 0; i < 5; i++) {
      feed.append(10)
      commit()
      await tail.refresh()
    }
    expect(tail.base).toBeGreaterThan(1)
    sink.full = false
    sink.drain()
    await expect.poll(() => sink.ids.length).toBe(51)
    expect(sink.ids).toEqual(feed.ids())
    expect(slow.follower.position).toBe('E000051')
  })

  it('ends the follow of a sink that does not drain in time', async () => {
    const feed = new MemoryFeed()
    const { tail, commit } = await setup(feed)
    const sink = new RecordingSink()
    sink.full = true
    const stuck = follow(tail, feed, { sink })
    feed.append(2)
    commit()
    await expect.poll(() => sink.waiting).toBe(true)
    sink.drain(false)
    expect(await stuck.ended).toBe('slow')
  })

  it('reads events held back by an older transaction again once the fence moves, without a new commit', async () => {
    const feed = new MemoryFeed()
    feed.append(2)
    const { tail, commit } = await setup(feed)
    const follower = follow(tail, feed)
    feed.fence = 3
    feed.append(4)
    commit()
    await expect.poll(() => follower.sink.ids).toEqual(['E000003'])
    // The older transaction finishes: no commit announces it, the tail's backoff finds it.
    feed.fence = Infinity
    await expect.poll(() => follower.sink.ids.length, { timeout: 3_000 }).toBe(4)
    expect(follower.sink.ids).toEqual(feed.ids(undefined, 'E000002'))
  })

  it('opens one tail per provider, shared, and closes it with its last follower', async () => {
    const feed = new MemoryFeed()
    const hub = new EventHub()
    const tails = new StreamTails(feed.store, hub, { capacity: 10, onError: () => {} })
    cleanup.push(() => tails.close())
    const [one, two] = await Promise.all([tails.acquire(PROVIDER), tails.acquire(PROVIDER)])
    expect(one!.tail).toBe(two!.tail)
    expect(tails.open).toBe(1)
    one!.release()
    one!.release()
    expect(one!.tail.closed).toBe(false)
    two!.release()
    expect(one!.tail.closed).toBe(true)
    expect(tails.open).toBe(0)
    const three = await tails.acquire(PROVIDER)
    expect(three.tail).not.toBe(one!.tail)
    three.release()
  })
})
