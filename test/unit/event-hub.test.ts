// The event hub wakes the waiters of a provider on its commits only, loses no wake-up between
// registering and waiting, and cleans up aborted waits; the long poll reads only when woken,
// backs off while events are held back, and answers at once when its signal aborts.
import { describe, expect, it } from 'vitest'
import { EventHub, type CommitSource } from '../../src/events/event-hub.js'
import { longPoll } from '../../src/events/long-poll.js'

const A = 'provider-a'
const B = 'provider-b'
const settled = async (promise: Promise<unknown>) => {
  let state = 'pending'
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  )
  await new Promise((resolve) => setImmediate(resolve))
  return state
}

function fakeSource() {
  const committed = new Set<(ids: readonly string[]) => void>()
  const missed = new Set<() => void>()
  const source: CommitSource = {
    onEventsCommitted: (listener) => (committed.add(listener), () => void committed.delete(listener)),
    onEventsMissed: (listener) => (missed.add(listener), () => void missed.delete(listener)),
  }
  return { source, commit: (ids: string[]) => committed.forEach((l) => l(ids)), miss: () => missed.forEach((l) => l()), committed, missed }
}

describe('EventHub', () => {
  it('wakes the waiters of the committed providers only', async () => {
    const { source, commit } = fakeSource()
    const hub = new EventHub(source)
    const a = hub.next(A)
    const b = hub.next(B)
    expect(hub.waiting).toBe(2)
    commit([A])
    expect(await settled(a)).toBe('resolved')
    expect(await settled(b)).toBe('pending')
    expect(hub.waiting).toBe(1)
    commit(['other', B])
    expect(await settled(b)).toBe('resolved')
    expect(hub.waiting).toBe(0)
  })

  it('keeps a commit that lands between next() and the await', async () => {
    const hub = new EventHub()
    const woken = hub.next(A)
    hub.committed([A])
    await expect(woken).resolves.toBeUndefined()
    // A commit before next() is not a reason to wake a later waiter.
    expect(await settled(hub.next(A))).toBe('pending')
  })

  it('rejects an aborted wait and forgets it', async () => {
    const hub = new EventHub()
    const controller = new AbortController()
    const woken = hub.next(A, controller.signal)
    controller.abort(new Error('client left'))
    await expect(woken).rejects.toThrow('client left')
    expect(hub.waiting).toBe(0)
    await expect(hub.next(A, controller.signal)).rejects.toThrow('client left')
  })

  it('tells commit listeners the providers, and missed listeners when commits may have gone unheard', async () => {
    const { source, commit, miss, committed } = fakeSource()
    const hub = new EventHub(source)
    const heard: string[][] = []
    let missed = 0
    const stop = hub.onCommit((ids) => heard.push([...ids]))
    hub.onMissed(() => missed++)
    const waiting = [hub.next(A), hub.next(B)]
    commit([A, B])
    miss()
    expect(heard).toEqual([[A, B]])
    expect(missed).toBe(1)
    await Promise.all(waiting)

    const asleep = hub.next(A)
    miss()
    expect(await settled(asleep)).toBe('resolved')
    stop()
    commit([A])
    expect(heard).toHaveLength(1)

    hub.close()
    expect(committed.size).toBe(0)
  })

  it('calls every listener even when one throws, then reports the first error', () => {
    const hub = new EventHub()
    let called = 0
    hub.onCommit(() => {
      throw new Error('listener bug')
    })
    hub.onCommit(() => called++)
    expect(() => hub.committed([A])).toThrow('listener bug')
    expect(called).toBe(1)
  })

  it('wakes everyone on close', async () => {
    const hub = new EventHub()
    const woken = hub.next(A)
    hub.close()
    await expect(woken).resolves.toBeUndefined()
  })
})

describe('longPoll', () => {
  const page = (events: number[], pending = false) => ({ events, pending })

  it('answers at once when the page has events or no wait is asked', async () => {
    const hub = new EventHub()
    const signal = new AbortController().signal
    expect(await longPoll({ hub, providerId: A, read: async () => page([1]), waitMs: 5000, signal })).toEqual(page([1]))
    expect(await longPoll({ hub, providerId: A, read: async () => page([]), waitMs: 0, signal })).toEqual(page([]))
    expect(hub.waiting).toBe(0)
  })

  it('reads nothing while it waits, and again once its provider commits', async () => {
    const hub = new EventHub()
    let reads = 0
    const answers = [page([]), page([7])]
    const polled = longPoll({ hub, providerId: A, read: async () => answers[reads++]!, waitMs: 5000, signal: new AbortController().signal })
    await new Promise((resolve) => setTimeout(resolve, 100))
    hub.committed([B])
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(reads).toBe(1)
    hub.committed([A])
    expect(await polled).toEqual(page([7]))
    expect(reads).toBe(2)
  })

  it('answers the empty page when the time is up', async () => {
    const hub = new EventHub()
    const started = performance.now()
    const polled = await longPoll({ hub, providerId: A, read: async () => page([]), waitMs: 150, signal: new AbortController().signal })
    expect(polled).toEqual(page([]))
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    expect(hub.waiting).toBe(0)
  })

  it('reads again after a doubling backoff while events are held back, without a commit', async () => {
    const hub = new EventHub()
    const at: number[] = []
    const started = performance.now()
    const polled = await longPoll({
      hub,
      providerId: A,
      read: async () => {
        at.push(performance.now() - started)
        return at.length < 5 ? page([], true) : page([1])
      },
      waitMs: 5000,
      signal: new AbortController().signal,
    })
    expect(polled).toEqual(page([1]))
    // 20, 40, 80, 160 ms between reads: at least 300 ms in all, far less than the wait.
    expect(at[4]!).toBeGreaterThanOrEqual(290)
    expect(at[4]!).toBeLessThan(3000)
    expect(at[2]! - at[1]!).toBeGreaterThan(at[1]! - at[0]!)
  })

  it('answers what it has at once when its signal aborts, and gives its slot back while waiting', async () => {
    const hub = new EventHub()
    const controller = new AbortController()
    const slot = { suspended: 0, resumed: 0, suspend: () => void slot.suspended++, resume: async () => (slot.resumed++, true) }
    const polled = longPoll({ hub, providerId: A, read: async () => page([]), waitMs: 30_000, signal: controller.signal, slot })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(slot.suspended).toBe(1)
    const abortedAt = performance.now()
    controller.abort()
    expect(await polled).toEqual(page([]))
    expect(performance.now() - abortedAt).toBeLessThan(100)
    expect(slot.resumed).toBe(0)
    expect(hub.waiting).toBe(0)
  })

  it('answers the empty page when the slot cannot be had again', async () => {
    const hub = new EventHub()
    let reads = 0
    const slot = { suspend: () => undefined, resume: async () => false }
    const polled = longPoll({
      hub,
      providerId: A,
      read: async () => (reads++, page([])),
      waitMs: 30_000,
      signal: new AbortController().signal,
      slot,
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    hub.committed([A])
    expect(await polled).toEqual(page([]))
    expect(reads).toBe(1)
  })
})
