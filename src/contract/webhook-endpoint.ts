// Webhook endpoints (/v2/system/webhook-endpoints): where a provider's events are POSTed, signed
// as the Standard Webhooks specification says, and the state of their delivery.
import Type, { type Static } from 'typebox'
import { NO_NUL } from './ticket.js'
import { ULID_PATTERN } from './ticket-event.js'
import { FEED_EVENT_TYPES } from './event-feed.js'
import { Nullable } from './schema-helpers.js'

/** The event `POST …/{id}/test` sends; never in the feed, so never subscribed to. */
export const TEST_EVENT_TYPE = 'webhook.test'

/** Every event type of the feed an endpoint may subscribe to. */
export const SUBSCRIBABLE_EVENT_TYPES = FEED_EVENT_TYPES

const EventTypesSchema = Type.Array(Type.String({ minLength: 1, maxLength: 255, pattern: NO_NUL }), {
  minItems: 1,
  maxItems: 50,
  description:
    'The events to deliver: exact types (e.g. `tickets.ticket.closed`) or a prefix form ending in `.*` ' +
    `(e.g. \`tickets.ticket.*\`, \`webhook.*\`). Known types: ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}.`,
})

const UrlSchema = Type.String({
  minLength: 1,
  maxLength: 2048,
  pattern: NO_NUL,
  description:
    'Where deliveries are POSTed: an https URL whose host resolves to public addresses only (private, loopback and ' +
    'link-local addresses and plain http are refused unless the server allows them).',
})

const DescriptionSchema = Type.String({ maxLength: 255, pattern: NO_NUL, description: 'Your note on what the endpoint is for.' })

export const NewWebhookEndpointSchema = Type.Object(
  {
    url: UrlSchema,
    event_types: EventTypesSchema,
    description: Type.Optional(DescriptionSchema),
  },
  { additionalProperties: false, title: 'NewWebhookEndpoint' },
)
export type NewWebhookEndpoint = Static<typeof NewWebhookEndpointSchema>

export const WebhookEndpointPatchSchema = Type.Object(
  {
    url: Type.Optional(UrlSchema),
    event_types: Type.Optional(EventTypesSchema),
    description: Type.Optional(DescriptionSchema),
    disabled: Type.Optional(
      Type.Boolean({
        description:
          'true stops deliveries; false resumes them with the events that happen from now on (use recover for the ones in between).',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1, title: 'WebhookEndpointPatch', description: 'The members to change; at least one.' },
)
export type WebhookEndpointPatch = Static<typeof WebhookEndpointPatchSchema>

const timestamp = (description: string) => Type.String({ format: 'date-time', description })

export const WebhookDeliveryStateSchema = Type.Object(
  {
    last_event_id: Nullable(
      Type.String({ pattern: ULID_PATTERN, description: 'The endpoint’s position in the feed: the last event delivered or passed over.' }),
    ),
    retrying_event_id: Nullable(Type.String({ pattern: ULID_PATTERN, description: 'The event waiting for its next attempt.' })),
    attempt: Type.Integer({ minimum: 0, description: 'Attempts made so far for the retrying event.' }),
    next_attempt_at: Nullable(timestamp('When the retrying event is tried again.')),
    failing_since: Nullable(timestamp('Since when every attempt has failed (null after a success).')),
  },
  { additionalProperties: false, description: 'Where delivery to this endpoint stands. Later events wait behind a retrying one.' },
)

export const WebhookEndpointSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Endpoint identifier.' }),
    url: Type.String({ description: 'Where deliveries are POSTed.' }),
    description: Type.String(),
    event_types: Type.Array(Type.String(), { description: 'The subscribed event types and prefixes.' }),
    disabled: Type.Boolean({ description: 'Whether deliveries are stopped.' }),
    disabled_reason: Nullable(Type.String({ description: 'Why the endpoint was disabled (by you, or by the platform).' })),
    created_at: timestamp('When the endpoint was created.'),
    updated_at: timestamp('When the endpoint was last changed.'),
    previous_secret_expires_at: Nullable(timestamp('Until when deliveries are also signed with the secret before the last rotation.')),
    delivery: WebhookDeliveryStateSchema,
  },
  { additionalProperties: false, title: 'WebhookEndpoint' },
)
export type WebhookEndpoint = Static<typeof WebhookEndpointSchema>

const SecretSchema = Type.String({
  pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
  description: 'The signing secret: `whsec_` and base64. Shown only in this response; keep it safe.',
})

export const CreatedWebhookEndpointSchema = Type.Object(
  { ...WebhookEndpointSchema.properties, secret: SecretSchema },
  { additionalProperties: false, title: 'CreatedWebhookEndpoint' },
)

export const RotatedWebhookSecretSchema = Type.Object(
  {
    secret: SecretSchema,
    previous_secret_expires_at: timestamp('Until then every delivery carries a signature with each secret.'),
  },
  { additionalProperties: false, title: 'RotatedWebhookSecret' },
)

export const WebhookRecoverSchema = Type.Object(
  {
    since: Type.String({
      format: 'date-time',
      description: 'Deliver again, in feed order, every subscribed event from the first one that occurred at or after this instant.',
    }),
  },
  { additionalProperties: false, title: 'WebhookRecover' },
)
export type WebhookRecover = Static<typeof WebhookRecoverSchema>

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String({ description: 'Identifier of this attempt.' }),
    event_id: Type.String({ pattern: ULID_PATTERN, description: 'The event sent (the `webhook-id` header).' }),
    event_type: Type.String(),
    attempt: Type.Integer({ minimum: 1, description: '1 for the first attempt at this event, 2 for the first retry, …' }),
    attempted_at: timestamp('When the attempt started.'),
    response_status: Nullable(Type.Integer({ description: 'The HTTP status the endpoint answered; null when it did not answer.' })),
    duration_ms: Type.Integer({ minimum: 0 }),
    error: Nullable(Type.String({ description: 'Why the attempt failed without an answer (timeout, refused address, …).' })),
    succeeded: Type.Boolean({ description: 'A 2xx answer within the timeout.' }),
    next_attempt_at: Nullable(timestamp('When the event is tried again after this failed attempt.')),
  },
  { additionalProperties: false, title: 'WebhookDelivery' },
)
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>
