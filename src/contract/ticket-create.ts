// The body of POST /v2/tickets/tickets: what a customer or provider says about a new ticket.
// Everything else (id, number, channels, timestamps, external fields) the server decides.
import Type, { type Static } from 'typebox'
import { Int64 } from './schema-helpers.js'
import { NO_NUL } from './ticket.js'

export const VOUCHER_CODE = '^[A-Z0-9]{4,8}$'

const uuid = (description: string) => Type.String({ format: 'uuid', description })
export const VinSchema = Type.String({
  minLength: 17,
  maxLength: 17,
  pattern: NO_NUL,
  description: 'Vehicle Identification Number (17 characters).',
})
export const VoucherCodeSchema = Type.String({ pattern: VOUCHER_CODE, description: 'Voucher code: 4 to 8 capital letters or digits.' })
export const ReferenceSchema = (description: string) => Type.String({ maxLength: 255, pattern: NO_NUL, description })

export const NewTicketSchema = Type.Object(
  {
    state: Type.Optional(
      Type.Union([Type.Literal('prepared'), Type.Literal('pending')], {
        description: 'prepared: pre-filled for a customer to pick up (VIN optional); pending (default): ready for an operator.',
      }),
    ),
    customer_id: uuid('The customer the ticket is for.'),
    vehicle_model_id: Int64({ minimum: 1, description: 'The vehicle model.' }),
    vin: Type.Optional(VinSchema),
    customer_connector_id: Type.Optional(uuid('The connector the customer uses.')),
    connection_id: Type.Optional(uuid('The connection used for the service.')),
    voucher_code: Type.Optional(VoucherCodeSchema),
    customer_reference: Type.Optional(ReferenceSchema('Reference added by the customer (at most 255 characters).')),
    preparer_external_reference: Type.Optional(
      ReferenceSchema('Reference of the preparer, e.g. an ERP order number (prepared tickets only; at most 255 characters).'),
    ),
  },
  {
    additionalProperties: false,
    title: 'NewTicket',
    description: 'A new ticket. `vin` is required unless the ticket is prepared.',
  },
)
export type NewTicket = Static<typeof NewTicketSchema>
