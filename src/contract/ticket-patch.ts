// The body of PATCH /v2/tickets/tickets/{ticket-id}: the two fields external systems own.
import Type, { type Static } from 'typebox'
import { NO_NUL } from './ticket.js'

export const TicketPatchSchema = Type.Object(
  {
    external_reference: Type.Optional(
      Type.String({ maxLength: 255, pattern: NO_NUL, description: 'Reference of this ticket in your system (at most 255 characters).' }),
    ),
    externally_processed: Type.Optional(
      Type.Boolean({ description: 'Whether your system has processed this ticket.' }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    title: 'TicketPatch',
    description: 'A JSON merge patch (RFC 7396) of the fields an external system may set; at least one.',
  },
)
export type TicketPatch = Static<typeof TicketPatchSchema>
