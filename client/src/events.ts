// The provider's events feed (GET /v2/system/events): `list` is one page, `iterate` reads every
// page until it has caught up, `follow` never stops (long polls, resumes after failures). Real
// client authors fetched one page and took it for everything (the feed has no total and no
// cursor in its answer), so the walking is done here, once, and `list` says what it is.
import { OPERATIONS, type EventFeed, type FeedEvent } from './api-types.js'
import { EventsExpiredError, type TicketsApiError } from './errors.js'
import { checkWalkQuery, encodeEventsQuery, type EventsQuery, type ListEventsParams } from './events-query.js'
import { checkWaitSeconds, followFeed, type FollowOptions, type Pacing } from './follow.js'
import { describe, shapeError, type Sender } from './lifecycle.js'
import { errorOf, type HttpResponse } from './transport.js'

/** One page of the feed, and how to go on from it. */
export interface EventPage extends EventFeed {
  /**
   * The `after_id` that continues after this page: its last event's id, or the `after_id` it was
   * asked with when it came back empty (undefined: still at the start).
   */
  nextAfterId: string | undefined
  /**
   * True when the page came back full (`limit` events): more are very likely waiting right now.
   * False does not mean "no more, ever": events keep arriving. Use `iterate` or `follow`.
   */
  mayHaveMore: boolean
}

export interface EventsCallOptions {
  signal?: AbortSignal
}

export interface IterateEventsOptions extends EventsCallOptions {
  /** Events per request, 1..1000 (default 1000: catching up is bulk reading). */
  pageSize?: number
}

/** Events per request when walking: the most the API gives, since catching up reads in bulk. */
const DEFAULT_PAGE_SIZE = 1000

export function checkPageSize(pageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new RangeError('pageSize must be an integer from 1 to 1000')
  return pageSize
}

/** `{ query, result[] }` whose every event has a string id and type, or UnexpectedResponseError. */
function asEventFeed(response: HttpResponse): EventFeed {
  const body = response.body
  if (!response.json || typeof body !== 'object' || body === null || Array.isArray(body))
    throw shapeError(response, 'EventFeed', response.json ? `the body is ${describe(body)}, not an object` : 'the body is not JSON')
  const page = body as Record<string, unknown>
  if (!Array.isArray(page.result)) throw shapeError(response, 'EventFeed', `result is ${describe(page.result)}, not an array`)
  if (typeof page.query !== 'object' || page.query === null) throw shapeError(response, 'EventFeed', `query is ${describe(page.query)}`)
  page.result.forEach((event: unknown, i) => {
    const e = event as { id?: unknown; type?: unknown } | null
    if (typeof e !== 'object' || e === null || typeof e.id !== 'string' || typeof e.type !== 'string')
      throw shapeError(response, 'EventFeed', `result[${i}] is ${describe(event)} without a string id and type`)
  })
  return body as EventFeed
}

function feedError(response: HttpResponse, clock: () => Date, afterId: string | undefined): TicketsApiError {
  const error = errorOf(response, clock)
  if (response.status !== 410 || error.code !== 'events-expired') return error
  return new EventsExpiredError(
    { status: error.status, problem: error.problem, requestId: error.requestId, method: error.method, url: error.url },
    afterId,
  )
}

export class EventsResource {
  constructor(
    private readonly sender: Sender,
    private readonly pacing: Pacing,
  ) {}

  /**
   * **One page** of the feed, oldest first: at most `limit` events (default 25) after `after_id`.
   * It is not "the events": the answer has no total, and more events may follow this page at once
   * (`mayHaveMore`) or later. To read everything use `iterate` (until caught up) or `follow`
   * (forever); to page by hand, pass `nextAfterId` as the next `after_id`.
   * A 410 (`after_id` past the retention) throws EventsExpiredError; other errors TicketsApiError.
   */
  async list(params: ListEventsParams = {}, options: EventsCallOptions = {}): Promise<EventPage> {
    const response = await this.sender.send({
      method: 'GET',
      path: OPERATIONS.listEvents.path + encodeEventsQuery(params),
      signal: options.signal,
      heldMs: (params.wait ?? 0) * 1000,
    })
    if (response.status !== 200) throw feedError(response, this.sender.transport.clock, params.after_id)
    const feed = asEventFeed(response)
    const last = feed.result[feed.result.length - 1]
    return {
      ...feed,
      nextAfterId: last?.id ?? params.after_id,
      mayHaveMore: feed.result.length > 0 && feed.result.length === feed.query.limit,
    }
  }

  /**
   * Every matching event after `after_id` (from the oldest kept without one), page after page,
   * until it has caught up with the feed; then it ends. Each page starts after the last id seen,
   * so events committed during the walk are read too, none twice.
   */
  async *iterate(query: EventsQuery = {}, options: IterateEventsOptions = {}): AsyncGenerator<FeedEvent, void, undefined> {
    checkWalkQuery(query, 'iterate')
    const pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_SIZE)
    let afterId = query.after_id
    for (;;) {
      const page = await this.list({ ...query, after_id: afterId, limit: pageSize }, options)
      yield* page.result
      // A short page is the end of what the feed serves now: caught up.
      if (page.result.length < pageSize) return
      afterId = page.nextAfterId
    }
  }

  /**
   * Every matching event after `after_id`, forever: when caught up it long-polls (`wait`) for the
   * next ones. It never ends on its own; abort `options.signal` to stop it (the loop then ends
   * quietly). Server restarts, lost connections, 429 and 502/503/504 are waited out with backoff,
   * resuming after the last event it yielded: nothing is skipped or repeated. A 410 (resumed from
   * an id past the retention) throws EventsExpiredError: resynchronise from the ticket lists.
   * Other errors (400, 401, 403…) are thrown.
   */
  follow(query: EventsQuery = {}, options: FollowOptions = {}): AsyncGenerator<FeedEvent, void, undefined> {
    // Checked now rather than at the first next(): a mistake shows where follow is called.
    checkWalkQuery(query, 'follow')
    const pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_SIZE)
    if (options.waitSeconds !== undefined) checkWaitSeconds(options.waitSeconds)
    const listPage = (params: ListEventsParams, signal: AbortSignal | undefined) => this.list(params, signal ? { signal } : {})
    return followFeed(listPage, this.pacing, query, { ...options, pageSize })
  }
}
