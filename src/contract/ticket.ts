// The Ticket wire shape, exactly the 23 fields of the partner API's Ticket schema.
import Type, { type Static } from 'typebox'
import { Int64, Nullable, StringEnum } from './schema-helpers.js'

export const TICKET_STATES = ['prepared', 'pending', 'in_progress', 'outsourced', 'closed', 'cancelled'] as const

export const TicketStateSchema = StringEnum(TICKET_STATES, {
  title: 'Ticket-state',
  description:
    'Current activity of the ticket: prepared (can be used by a customer), pending (waiting to be worked on), ' +
    'in_progress (worked on by an operator), outsourced (outsourced to another provider), closed (successfully ' +
    'finished), cancelled (see cancel_reason_id).',
})
export type TicketState = Static<typeof TicketStateSchema>

const uuid = (description: string) => Type.String({ format: 'uuid', description })
const dateTime = (description: string) => Type.String({ format: 'date-time', description })
// PostgreSQL text cannot hold NUL: refusing it in the schema keeps it out of imports and PATCHes.
export const NO_NUL = '^[^\\u0000]*$'
const reference = (description: string) => Type.String({ minLength: 0, maxLength: 255, pattern: NO_NUL, description })

export const TicketSchema = Type.Object(
  {
    id: uuid('Ticket identifier.'),
    assigned_at: Nullable(dateTime('Date and time the ticket was joined by the first operator.')),
    cancel_reason_id: Nullable(
      Type.Integer({
        format: 'int32',
        description: 'Reference to a cancel reason. Only present for tickets in the cancelled state.',
      }),
    ),
    connection_id: Nullable(uuid('Identifier of the connection.')),
    created_at: dateTime('Date and time of creation.'),
    customer_channel_id: Nullable(
      uuid("Identifier for the ticket messenger channel with the customer. Not set for tickets in the 'prepared' state."),
    ),
    customer_connector_id: Nullable(
      uuid('Identifier of the connector that is used by the customer for whom the initial ticket was created.'),
    ),
    customer_id: Nullable(uuid('Identifier of the customer for whom the ticket was created.')),
    customer_reference: reference('Reference added by the customer.'),
    external_reference: reference('Reference of this ticket to something in an external system. Never changed by the platform itself.'),
    externally_processed: Type.Boolean({
      description: 'Whether this ticket has been processed by an external system. Never changed by the platform itself.',
    }),
    finished_at: Nullable(
      dateTime('Date and time the ticket was finished at. Only present for tickets in the cancelled or closed states.'),
    ),
    operator_channel_id: Nullable(
      uuid(
        'Identifier for the ticket messenger channel with the operator of the partnered provider that outsourced ' +
          'this ticket to you. Null when the ticket was created by a customer.',
      ),
    ),
    operator_id: Nullable(uuid('Identifier of the assigned operator. Set when the ticket currently is or has been in state in_progress.')),
    operator_reference: reference('Reference added by the operator.'),
    outsourced: Type.Boolean({
      description: 'Whether the ticket has been outsourced at least once to another provider.',
    }),
    source_provider_id: uuid('The provider that was the source of this ticket: the provider that insourced it, otherwise your own.'),
    state: TicketStateSchema,
    ticket_number: Int64({ description: 'Human-readable ticket identifier.' }),
    updated_at: dateTime('Date and time the ticket was last updated.'),
    vehicle_model_id: Int64({ description: 'Identifier of the vehicle model of the ticket.' }),
    vin: Nullable(
      Type.String({
        minLength: 17,
        maxLength: 17,
        pattern: NO_NUL,
        description: 'Vehicle Identification Number. Can be null for tickets in the prepared state.',
      }),
    ),
    voucher_code: Nullable(Type.String({ pattern: NO_NUL, description: 'Code of the applied voucher.' })),
  },
  { additionalProperties: false, title: 'Ticket' },
)
export type Ticket = Static<typeof TicketSchema>

export const TICKET_FIELDS = Object.keys(TicketSchema.properties) as (keyof Ticket)[]
