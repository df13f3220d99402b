// The bodies of the lifecycle actions, POST /v2/tickets/tickets/{ticket-id}/<action>. An action
// whose body has no required member also accepts no body at all.
import Type, { type Static, type TProperties } from 'typebox'
import { Int64 } from './schema-helpers.js'
import { ReferenceSchema, VinSchema } from './ticket-create.js'

const uuid = (description: string) => Type.String({ format: 'uuid', description })
const body = <P extends TProperties>(title: string, properties: P, description: string) =>
  Type.Object(properties, { additionalProperties: false, title, description })

export const SubmitBodySchema = body(
  'SubmitTicket',
  {
    vin: Type.Optional(VinSchema),
    customer_connector_id: Type.Optional(uuid('The connector the customer uses.')),
    connection_id: Type.Optional(uuid('The connection used for the service.')),
  },
  'Hands a prepared ticket to the customer: it becomes pending. `vin` is required when the ticket has none.',
)

export const JoinBodySchema = body(
  'JoinTicket',
  { operator_id: uuid('The operator who joins.') },
  'An operator joins a pending ticket: it becomes in_progress.',
)

export const EmptyBodySchema = body('NoBody', {}, 'This action takes no members; the body may be absent.')

export const BATTERY_VOLTAGES = ['12v', '24v'] as const
export const CloseBodySchema = body(
  'CloseTicket',
  {
    operator_reference: Type.Optional(ReferenceSchema('Reference added by the operator (at most 255 characters).')),
    vehicle_battery_voltage: Type.Optional(
      Type.Union(
        BATTERY_VOLTAGES.map((v) => Type.Literal(v)),
        { description: 'The vehicle battery voltage: 12v or 24v.' },
      ),
    ),
  },
  'The operator finishes the service successfully: the ticket becomes closed.',
)

export const CancelBodySchema = body(
  'CancelTicket',
  { cancel_reason_id: Int64({ minimum: 1, description: 'A manually applicable reason from /v2/tickets/cancel-reasons.' }) },
  'Cancels a prepared, pending or in-progress ticket.',
)

export const OutsourceBodySchema = body(
  'OutsourceTicket',
  { provider_id: uuid('A partnered provider that will service the ticket.') },
  'Outsources a pending or in-progress ticket to a partnered provider: it becomes outsourced.',
)

export type SubmitBody = Static<typeof SubmitBodySchema>
export type JoinBody = Static<typeof JoinBodySchema>
export type CloseBody = Static<typeof CloseBodySchema>
export type CancelBody = Static<typeof CancelBodySchema>
export type OutsourceBody = Static<typeof OutsourceBodySchema>
