// The long poll of GET /v2/system/events?wait=N: read; if the page is empty, wait for a
// commit of the caller's provider (EventHub.next) and read again, until events come, the time
// is up, the client goes away or the server stops. A page that is empty only because an older
// transaction still holds committed events back (`pending`) is read again after a short
// backoff instead: the commit that releases them may be another provider's, which wakes nobody.

import type { EventHub } from './event-hub.js'

export const BACKOFF_MS = { first: 20, max: 500 }

export interface PolledPage {
  events: readonly unknown[]
  pending: boolean
}

/** The caller's concurrency slot, given back while waiting (see limits/client-concurrency.ts). */
export interface SuspendableSlot {
  suspend(): void
  /** Takes a slot again; false when the client has too many requests queued to get one. */
  resume(): Promise<boolean>
}

export interface LongPoll<P extends PolledPage> {
  hub: EventHub
  providerId: string
  read: () => Promise<P>
  waitMs: number
  /** Aborts the wait (the client left, the server stops): the last page read is the answer. */
  signal: AbortSignal
  slot?: SuspendableSlot | undefined
}

export async function longPoll<P extends PolledPage>(poll: LongPoll<P>): Promise<P> {
  const deadline = performance.now() + poll.waitMs
  let delay = BACKOFF_MS.first
  for (;;) {
    const waiting = new AbortController()
    const stop = () => waiting.abort()
    poll.signal.addEventListener('abort', stop, { once: true })
    // Registered before the read, so that a commit between the read and the wait still wakes us.
    const woken = poll.waitMs > 0 && !poll.signal.aborted ? poll.hub.next(poll.providerId, waiting.signal) : undefined
    woken?.catch(() => undefined)
    try {
      const page = await poll.read()
      const left = deadline - performance.now()
      if (page.events.length > 0 || left <= 0 || poll.signal.aborted || !woken) return page
      poll.slot?.suspend()
      const outcome = await wakeOrTimeout(woken, page.pending ? Math.min(delay, left) : left)
      if (poll.signal.aborted || (outcome === 'timeout' && !page.pending)) return page
      delay = page.pending && outcome === 'timeout' ? Math.min(delay * 2, BACKOFF_MS.max) : BACKOFF_MS.first
      if (poll.slot && !(await poll.slot.resume())) return page
    } finally {
      poll.signal.removeEventListener('abort', stop)
      waiting.abort()
    }
  }
}

/** 'woken' when the hub wakes us (or the wait is aborted), 'timeout' after `ms`. */
async function wakeOrTimeout(woken: Promise<void>, ms: number): Promise<'woken' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))
  try {
    return await Promise.race([
      woken.then(
        () => 'woken' as const,
        () => 'woken' as const,
      ),
      timeout,
    ])
  } finally {
    clearTimeout(timer)
  }
}
