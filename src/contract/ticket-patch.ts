// The body of PATCH /v2/tickets/tickets/{ticket-id}: the two fields external systems own
// (tickets:write), and the descriptive fields the platform's own systems may correct
// (tickets:manage). Which scope each member needs is listed here, once.
import Type, { type Static } from 'typebox'
import type { Scope } from './oauth.js'
import { Int64, Nullable } from './schema-helpers.js'
import { NO_NUL } from './ticket.js'
import { ReferenceSchema, VinSchema, VoucherCodeSchema } from './ticket-create.js'

export const TicketPatchSchema = Type.Object(
  {
    external_reference: Type.Optional(
      Type.String({ maxLength: 255, pattern: NO_NUL, description: 'Reference of this ticket in your system (at most 255 characters).' }),
    ),
    externally_processed: Type.Optional(Type.Boolean({ description: 'Whether your system has processed this ticket.' })),
    customer_reference: Type.Optional(ReferenceSchema('Reference added by the customer (tickets:manage).')),
    operator_reference: Type.Optional(ReferenceSchema('Reference added by the operator (tickets:manage).')),
    vehicle_model_id: Type.Optional(Int64({ minimum: 1, description: 'The vehicle model (tickets:manage).' })),
    voucher_code: Type.Optional(Nullable(VoucherCodeSchema)),
    vin: Type.Optional(
      Nullable({ ...VinSchema, description: 'The VIN (tickets:manage), only while prepared or pending; null only while prepared.' }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    title: 'TicketPatch',
    description:
      'A JSON merge patch (RFC 7396) of the fields a client may set; at least one. external_reference and ' +
      'externally_processed need tickets:write; the others need tickets:manage.',
  },
)
export type TicketPatch = Static<typeof TicketPatchSchema>

/** The scope each patchable member needs. */
export const PATCH_MEMBER_SCOPES = {
  external_reference: 'tickets:write',
  externally_processed: 'tickets:write',
  customer_reference: 'tickets:manage',
  operator_reference: 'tickets:manage',
  vehicle_model_id: 'tickets:manage',
  voucher_code: 'tickets:manage',
  vin: 'tickets:manage',
} as const satisfies Record<keyof TicketPatch, Scope>

export const PATCHABLE_MEMBERS = Object.keys(PATCH_MEMBER_SCOPES) as (keyof TicketPatch)[]
