// The provider-wide event feed (GET /v2/system/events): a ticket's events, as its history
// shows them, and the provider's own events (a webhook endpoint disabled), shaped alike (id,
// type, occurred_at, payload, actor, changes) so that a consumer reads one shape.
import Type, { type Static } from 'typebox'
import { TICKET_EVENT_TYPES, TicketEventSchema, ULID_PATTERN } from './ticket-event.js'

export const ENDPOINT_DISABLED = 'webhook.endpoint.disabled'

/** Every event type the feed can carry; the `type` filter accepts these and their prefixes. */
export const FEED_EVENT_TYPES = [...TICKET_EVENT_TYPES, ENDPOINT_DISABLED] as const
export type FeedEventType = (typeof FEED_EVENT_TYPES)[number]

export const EndpointDisabledEventSchema = Type.Object(
  {
    id: Type.String({ pattern: ULID_PATTERN, description: 'Event identifier (a ULID).' }),
    type: Type.Literal(ENDPOINT_DISABLED, { description: 'A webhook endpoint of your provider was disabled.' }),
    occurred_at: Type.String({ format: 'date-time', description: 'When it was disabled.' }),
    payload: Type.Object(
      {
        endpoint: Type.Object(
          {
            id: Type.String({ format: 'uuid' }),
            url: Type.String(),
            disabled_reason: Type.String({ description: 'Why it was disabled, e.g. every attempt failed for 5 days.' }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    actor: Type.Object({ type: Type.Literal('system') }, { additionalProperties: false }),
    // The same map as a ticket event's, always empty, so that every feed event reads alike.
    changes: Type.Unsafe<Record<string, never>>({
      ...TicketEventSchema.properties.changes,
      maxProperties: 0,
      description: 'Always empty: no ticket changed.',
    }),
  },
  { additionalProperties: false, title: 'EndpointDisabledEvent' },
)
export type EndpointDisabledEvent = Static<typeof EndpointDisabledEventSchema>

export const FeedEventSchema = Type.Union([TicketEventSchema, EndpointDisabledEventSchema], {
  title: 'FeedEvent',
  description: 'A ticket’s event (as in its history) or an event of your provider itself.',
})
export type FeedEvent = Static<typeof FeedEventSchema>

/** The doc of a `webhook.endpoint.disabled` event, for `store.appendProviderEvent`. */
export function buildEndpointDisabledEvent(options: {
  id: string
  occurredAt: string
  endpoint: { id: string; url: string; disabled_reason: string }
}): EndpointDisabledEvent {
  const { id, url, disabled_reason } = options.endpoint
  return {
    id: options.id,
    type: ENDPOINT_DISABLED,
    occurred_at: options.occurredAt,
    payload: { endpoint: { id, url, disabled_reason } },
    actor: { type: 'system' },
    changes: {},
  }
}

export const EventFeedQuerySchema = Type.Object(
  {
    after_id: Type.Optional(Type.String({ pattern: ULID_PATTERN })),
    limit: Type.Integer({ minimum: 0, maximum: 1000, default: 25 }),
    occurred_after: Type.Optional(Type.String({ format: 'date-time' })),
    type: Type.Optional(Type.Array(Type.String())),
    ticket_id: Type.Optional(Type.String({ format: 'uuid' })),
    wait: Type.Integer({ minimum: 0, maximum: 30, default: 0 }),
  },
  { additionalProperties: false, description: 'Applied query parameters, including defaults.' },
)

export const EventFeedSchema = Type.Object(
  {
    query: EventFeedQuerySchema,
    result: Type.Array(FeedEventSchema, {
      description: 'Events in feed order, oldest first. Pass the last id as after_id for the next page.',
    }),
  },
  { additionalProperties: false, title: 'EventFeed' },
)
export type EventFeed = Static<typeof EventFeedSchema>

/** The type names and prefix forms the `type` filter accepts (for its 400s and its docs). */
export const FEED_TYPE_PREFIXES: readonly string[] = [
  ...new Set(
    FEED_EVENT_TYPES.flatMap((type) => {
      const parts = type.split('.')
      return parts.slice(1).map((_part, i) => `${parts.slice(0, i + 1).join('.')}.*`)
    }),
  ),
]
