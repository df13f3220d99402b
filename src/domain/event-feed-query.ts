// The events feed's query parameters, described once (parser, `query` echo and OpenAPI come
// from these specs), and what they mean for the store: the `type` list split into exact types
// and prefixes, `wait` in milliseconds.
import Type from 'typebox'
import { FEED_EVENT_TYPES, FEED_TYPE_PREFIXES } from '../contract/event-feed.js'
import { ULID_PATTERN } from '../contract/ticket-event.js'
import type { FeedFilter } from '../store/event-feed.js'
import { limitParameter, parseCollectionQuery, type ListParameterSpec, type ParameterSpec } from './collection-query.js'
import { FieldError, parseBoundedInteger, parseDateTime, parseUuid } from './values.js'

export const MAX_WAIT_SECONDS = 30

const KNOWN_TYPES: ReadonlySet<string> = new Set(FEED_EVENT_TYPES)
const KNOWN_PREFIXES: ReadonlySet<string> = new Set(FEED_TYPE_PREFIXES)

/** An exact known type or a known prefix form (`tickets.ticket.*`); anything else lists the valid ones. */
export function parseEventType(raw: string): string {
  if (KNOWN_TYPES.has(raw) || KNOWN_PREFIXES.has(raw)) return raw
  throw new FieldError(
    `is not a known event type; use one of ${FEED_EVENT_TYPES.join(', ')}, or a prefix form: ${FEED_TYPE_PREFIXES.join(', ')}`,
  )
}

export const afterIdParameter: ParameterSpec<string> = {
  parse: (raw) => {
    if (!new RegExp(ULID_PATTERN).test(raw)) throw new FieldError('must be an event id (a 26-character ULID)')
    return raw
  },
  schema: Type.String({ pattern: ULID_PATTERN }),
  description: 'Only events after the event with this id (the last id of the previous page).',
  slug: 'invalid-pagination',
}

const typeParameter: ListParameterSpec<string> = {
  list: true,
  parse: parseEventType,
  schema: Type.Array(Type.String(), { description: 'Event types.' }),
  description:
    `Only events of these types (any of): exact types, or a prefix form such as tickets.ticket.* . ` +
    `Give a list (type=a,b) or repeat the parameter. Known types: ${FEED_EVENT_TYPES.join(', ')}.`,
  example: 'tickets.ticket.closed,tickets.ticket.cancelled',
}

export const EVENT_FEED_QUERY = {
  after_id: afterIdParameter,
  limit: limitParameter('events'),
  occurred_after: {
    parse: parseDateTime,
    schema: Type.String({ format: 'date-time' }),
    description: 'Only events that occurred strictly after this instant (RFC 3339 with seconds and a zone).',
  },
  type: typeParameter,
  ticket_id: { parse: parseUuid, schema: Type.String({ format: 'uuid' }), description: 'Only events of this ticket of yours.' },
  wait: {
    parse: (raw: string) => Number(parseBoundedInteger(raw, 0n, BigInt(MAX_WAIT_SECONDS))),
    schema: Type.Integer({ minimum: 0, maximum: MAX_WAIT_SECONDS, default: 0 }),
    description:
      'Long polling: when no event matches yet, hold the request up to this many seconds until one is committed, then answer ' +
      'at once. An empty result means the time is up (or the server is shutting down): ask again with the same after_id.',
    slug: 'invalid-pagination',
    default: 0,
  } satisfies ParameterSpec<number>,
}

export interface EventFeedQuery {
  afterId: string | undefined
  limit: number
  filter: FeedFilter
  waitMs: number
  /** The `query` member of the answer: every applied parameter, defaults included. */
  echo: Record<string, unknown>
}

/** The store's filter for the parsed `type`, `ticket_id` and `occurred_after` (the live stream shares it). */
export function feedFilterOf(values: {
  type?: string[] | undefined
  ticket_id?: string | undefined
  occurred_after?: string | undefined
}): FeedFilter {
  const types = values.type ?? []
  return {
    ...(types.some((t) => !t.endsWith('*')) ? { types: types.filter((t) => !t.endsWith('*')) } : {}),
    // `tickets.ticket.*` → the prefix `tickets.ticket.` (the dot kept: `tickets.ticketing` is not in it).
    ...(types.some((t) => t.endsWith('*')) ? { typePrefixes: types.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1)) } : {}),
    ...(values.ticket_id !== undefined ? { ticketId: values.ticket_id } : {}),
    ...(values.occurred_after !== undefined ? { occurredAfter: values.occurred_after } : {}),
  }
}

export function parseEventFeedQuery(queryString: string): EventFeedQuery {
  const { values, echo } = parseCollectionQuery(queryString, EVENT_FEED_QUERY)
  return { afterId: values.after_id, limit: values.limit!, filter: feedFilterOf(values), waitMs: values.wait! * 1000, echo }
}
