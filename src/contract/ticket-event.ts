// A ticket's history: one event per change, shaped as the platform's events (id, type,
// occurred_at, payload) plus who made the change and what changed.
import Type, { type Static } from 'typebox'
import { Int64, Nullable, StringEnum } from './schema-helpers.js'
import { TicketStateSchema } from './ticket.js'

export const TICKET_EVENT_TYPES = [
  'tickets.ticket.created',
  'tickets.ticket.submitted',
  'tickets.ticket.joined',
  'tickets.ticket.released',
  'tickets.ticket.closed',
  'tickets.ticket.cancelled',
  'tickets.ticket.reopened',
  'tickets.ticket.outsourced',
  'tickets.ticket.reclaimed',
  'tickets.ticket.updated',
] as const
export type TicketEventType = (typeof TICKET_EVENT_TYPES)[number]

export const ULID_PATTERN = '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'

export const ActorSchema = Type.Union(
  [
    Type.Object(
      { type: Type.Literal('client'), id: Type.String({ description: 'The API client that made the change.' }) },
      { additionalProperties: false },
    ),
    Type.Object({ type: Type.Literal('system') }, { additionalProperties: false }),
  ],
  { title: 'Actor', description: 'Who made the change: an API client, or the platform itself (e.g. reflecting a partner).' },
)
export type Actor = Static<typeof ActorSchema>

export const TicketEventSchema = Type.Object(
  {
    id: Type.String({ pattern: ULID_PATTERN, description: 'Event identifier (a ULID); increasing along a ticket’s history.' }),
    type: StringEnum(TICKET_EVENT_TYPES, { description: 'What happened.' }),
    occurred_at: Type.String({ format: 'date-time', description: 'When the change was made.' }),
    payload: Type.Object(
      {
        ticket: Type.Object(
          { id: Type.String({ format: 'uuid' }), ticket_number: Int64(), state: TicketStateSchema },
          { additionalProperties: false, description: 'The ticket after the change.' },
        ),
        parent_ticket: Nullable(
          Type.Object(
            { id: Type.String({ format: 'uuid' }), ticket_number: Int64() },
            { additionalProperties: false, description: 'The ticket this one was outsourced from (on the partner’s side).' },
          ),
        ),
        customer: Nullable(Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false })),
      },
      { additionalProperties: false },
    ),
    actor: ActorSchema,
    // A map by field name (JSON Schema additionalProperties, which the client generator reads).
    changes: Type.Unsafe<Record<string, { old: unknown; new: unknown }>>({
      type: 'object',
      additionalProperties: Type.Object(
        { old: Type.Unknown(), new: Type.Unknown() },
        { additionalProperties: false, required: ['old', 'new'] },
      ),
      description: 'Each changed field with its old and new value (updated_at is implied by occurred_at).',
    }),
  },
  { additionalProperties: false, title: 'TicketEvent' },
)
export type TicketEvent = Static<typeof TicketEventSchema>

export const TicketEventListSchema = Type.Object(
  {
    query: Type.Object(
      {
        limit: Type.Integer({ minimum: 0, maximum: 1000, default: 25 }),
        after_id: Type.Optional(Type.String({ pattern: ULID_PATTERN })),
      },
      { additionalProperties: false, description: 'Applied query parameters, including defaults.' },
    ),
    result: Type.Array(TicketEventSchema, { description: 'The ticket’s events, oldest first.' }),
  },
  { additionalProperties: false, title: 'TicketEventList' },
)
