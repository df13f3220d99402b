// The live stream's parameters (GET /v2/system/events/stream): the feed's filters, described
// once in event-feed-query.ts, and where to start: the Last-Event-ID header an EventSource
// sends when it reconnects, or `after_id` for clients that cannot set headers. Without either
// the stream starts at the current end of the feed (history is the feed's job).
import { ULID_PATTERN } from '../contract/ticket-event.js'
import { AppError } from '../errors/app-error.js'
import type { FeedFilter } from '../store/event-feed.js'
import { parseCollectionQuery } from './collection-query.js'
import { afterIdParameter, EVENT_FEED_QUERY, feedFilterOf } from './event-feed-query.js'

/**
 * The position before every event (the zero ULID). A stream of a provider that has no event yet
 * announces it, so that a client reconnecting with it receives the first events, whenever they come.
 */
export const START_OF_FEED = '00000000000000000000000000'

export const EVENT_STREAM_QUERY = {
  after_id: {
    ...afterIdParameter,
    description:
      'Start after this event (for clients that cannot send the Last-Event-ID header, which wins when both are given). ' +
      `${START_OF_FEED} means from the oldest event kept. Without either, the stream starts at the current end of the feed.`,
  },
  occurred_after: EVENT_FEED_QUERY.occurred_after,
  type: EVENT_FEED_QUERY.type,
  ticket_id: EVENT_FEED_QUERY.ticket_id,
}

export type StreamStart =
  /** At the end of the feed as it is now; the stream announces that position first. */
  | { at: 'end' }
  /** After this event (undefined: before every event), as the client asked in `from`. */
  | { at: 'after'; afterId: string | undefined; from: { in: 'query' | 'header'; name: string } }

export interface EventStreamQuery {
  start: StreamStart
  filter: FeedFilter
}

const ULID = new RegExp(ULID_PATTERN)

function startOf(afterId: string | undefined, lastEventId: string | string[] | undefined): StreamStart {
  if (Array.isArray(lastEventId))
    throw new AppError('invalid-header', 'Send the Last-Event-ID header at most once.', {
      errors: [{ in: 'header', name: 'last-event-id', detail: 'must be given at most once' }],
    })
  // An empty header is what a client with no last event id would mean: none.
  if (lastEventId !== undefined && lastEventId.trim() !== '') {
    const id = lastEventId.trim()
    if (!ULID.test(id))
      throw new AppError('invalid-header', 'Last-Event-ID must be an event id this stream sent (a 26-character ULID).', {
        errors: [{ in: 'header', name: 'last-event-id', detail: 'must be an event id (a 26-character ULID)' }],
      })
    return { at: 'after', afterId: id === START_OF_FEED ? undefined : id, from: { in: 'header', name: 'Last-Event-ID' } }
  }
  if (afterId !== undefined)
    return { at: 'after', afterId: afterId === START_OF_FEED ? undefined : afterId, from: { in: 'query', name: 'after_id' } }
  return { at: 'end' }
}

export function parseEventStreamQuery(queryString: string, lastEventId: string | string[] | undefined): EventStreamQuery {
  const { values } = parseCollectionQuery(queryString, EVENT_STREAM_QUERY)
  return { start: startOf(values.after_id, lastEventId), filter: feedFilterOf(values) }
}
