// events.follow's loop: long polls one after another, each after the last event yielded. What
// the transport could not get through (its own retries spent on a restarting server, a refused
// connection, a 503) is waited out here with the client's backoff, for as long as it takes: a
// follower is meant to outlive deploys. Anything else is the caller's to see, above all a 410:
// the gap it means cannot be filled from the feed, so it is never skipped silently.
import type { FeedEvent } from './api-types.js'
import { TicketsApiError, TicketsNetworkError, TicketsRedirectError, UnexpectedResponseError } from './errors.js'
import { MAX_WAIT_SECONDS, type EventsQuery, type ListEventsParams } from './events-query.js'
import { RETRYABLE_STATUSES } from './transport.js'

export interface FollowOptions {
  /** Stops following: the loop ends quietly, during a poll or a backoff wait. */
  signal?: AbortSignal
  /** Events per request, 1..1000 (default 1000). */
  pageSize?: number
  /**
   * How long each poll asks the server to hold it when nothing is new, 1..30 s (default 25: under
   * the 30 s at which many proxies and load balancers cut an idle request).
   */
  waitSeconds?: number
  /** Called before each wait after a failed poll (for logs and metrics); following goes on. */
  onRetry?: (retry: FollowRetry) => void
}

export interface FollowRetry {
  /** What failed: a TicketsNetworkError, or a TicketsApiError with a 429, 502, 503 or 504. */
  error: Error
  /** Failed polls in a row, this one included. */
  failures: number
  /** How long the follower waits before the next poll. */
  delayMs: number
  /** The event id it resumes after (undefined: from the start). */
  afterId: string | undefined
}

/** What the follower needs from the client: one feed request, and the client's pacing. */
export type ListPage = (params: ListEventsParams, signal: AbortSignal | undefined) => Promise<{ result: FeedEvent[] }>
export interface Pacing {
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  backoff(attempt: number): number
}

const DEFAULT_WAIT_SECONDS = 25
/** Never poll a failing server in a tight loop, whatever the jitter drew. */
const MIN_DELAY_MS = 100
/** A Retry-After is honoured up to this; a longer one (a broken or hostile header) is not slept on for days. */
const MAX_SERVER_WAIT_MS = 15 * 60_000

/** Failures a follower outlives: no answer, or an answer saying "later" (rate limit, restart, overload). */
export function isTransient(error: unknown): error is TicketsNetworkError | TicketsApiError {
  if (error instanceof TicketsNetworkError) return true
  if (error instanceof TicketsRedirectError || error instanceof UnexpectedResponseError) return false
  return error instanceof TicketsApiError && RETRYABLE_STATUSES.has(error.status)
}

export function checkWaitSeconds(waitSeconds: number): number {
  if (!Number.isInteger(waitSeconds) || waitSeconds < 1 || waitSeconds > MAX_WAIT_SECONDS)
    throw new RangeError(`waitSeconds must be an integer from 1 to ${MAX_WAIT_SECONDS}`)
  return waitSeconds
}

function delayAfter(error: TicketsNetworkError | TicketsApiError, failures: number, pacing: Pacing): number {
  const asked = error instanceof TicketsApiError ? error.retryAfterMs : undefined
  if (asked !== undefined) return Math.max(MIN_DELAY_MS, Math.min(asked, MAX_SERVER_WAIT_MS))
  return Math.max(MIN_DELAY_MS, pacing.backoff(failures))
}

export async function* followFeed(
  listPage: ListPage,
  pacing: Pacing,
  query: EventsQuery,
  options: FollowOptions & { pageSize: number },
): AsyncGenerator<FeedEvent, void, undefined> {
  const { signal } = options
  const wait = checkWaitSeconds(options.waitSeconds ?? DEFAULT_WAIT_SECONDS)
  let afterId = query.after_id
  let failures = 0
  while (!signal?.aborted) {
    let events: FeedEvent[]
    try {
      events = (await listPage({ ...query, after_id: afterId, limit: options.pageSize, wait }, signal)).result
    } catch (error) {
      if (signal?.aborted) return
      if (!isTransient(error)) throw error
      failures++
      const delayMs = delayAfter(error, failures, pacing)
      options.onRetry?.({ error, failures, delayMs, afterId })
      try {
        await pacing.sleep(delayMs, signal)
      } catch (sleepError) {
        if (signal?.aborted) return
        throw sleepError
      }
      continue
    }
    failures = 0
    for (const event of events) {
      afterId = event.id
      yield event
      if (signal?.aborted) return
    }
  }
}
