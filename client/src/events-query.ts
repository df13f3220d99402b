// The events feed's parameters as a caller writes them, typed from the feed's own event types,
// and their encoding: `type` as `a,b`, dates as RFC 3339, `limit` and `wait` checked here so a
// bad value fails before any request.
import type { FeedEvent } from './api-types.js'
import { encodeListQuery } from './query.js'

/** Every event type the feed carries. */
export type FeedEventType = FeedEvent['type']

/** `tickets.ticket.created` → `tickets.*` | `tickets.ticket.*`: the prefix forms the feed accepts. */
type PrefixesOf<T extends string> = T extends `${infer Head}.${infer Rest}` ? `${Head}.*` | `${Head}.${PrefixesOf<Rest>}` : never

/** An exact event type or a prefix form such as `tickets.ticket.*` (any of the list matches). */
export type EventTypeFilter = FeedEventType | PrefixesOf<FeedEventType>

/** Which events: every member narrows, and they combine freely. */
export interface EventsFilter {
  /** One type or a list (any of them): exact types or prefix forms. */
  type?: EventTypeFilter | readonly EventTypeFilter[]
  /** Only events of this ticket of yours. */
  ticket_id?: string
  /** Only events that occurred strictly after this instant (a Date, or RFC 3339 with seconds and a zone). */
  occurred_after?: Date | string
}

/** Where to start: after this event id (one the feed gave you); absent, from the oldest event kept. */
export interface EventsQuery extends EventsFilter {
  after_id?: string
}

/** `events.list`'s parameters: one request, so the page size and the long-poll wait are yours to choose. */
export interface ListEventsParams extends EventsQuery {
  /** Events in this page, 0..1000 (the server's default is 25). */
  limit?: number
  /** Seconds, 0..30: when no event is there yet, the server holds the request until one is, or the time is up. */
  wait?: number
}

export const MAX_WAIT_SECONDS = 30

function checkInteger(name: string, value: number | undefined, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > max))
    throw new RangeError(`${name} must be an integer from 0 to ${max}, got ${String(value)}`)
}

/** The query string (with its `?`, or empty) for one feed request. */
export function encodeEventsQuery(params: ListEventsParams): string {
  checkInteger('limit', params.limit, 1000)
  checkInteger('wait', params.wait, MAX_WAIT_SECONDS)
  // Every member goes out, unknown ones too: the API answers a typo with a 400 naming it, rather
  // than the client dropping it and widening the query silently.
  const text = encodeListQuery(params as Record<string, unknown>)
  return text ? `?${text}` : ''
}

/**
 * `iterate` and `follow` choose the page size and the wait themselves (their options): a
 * `limit` or `wait` in the query would be silently overridden, so it is refused instead.
 */
export function checkWalkQuery(query: EventsQuery, method: string): void {
  for (const name of ['limit', 'wait'] as const)
    if ((query as ListEventsParams)[name] !== undefined)
      throw new TypeError(
        `events.${method}: pass ${name === 'limit' ? 'pageSize' : 'waitSeconds'} in the options, not ${name} in the query`,
      )
}
