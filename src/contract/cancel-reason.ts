// The cancel-reason catalogue (GET /v2/tickets/cancel-reasons).
import Type, { type Static } from 'typebox'
import { Int64 } from './schema-helpers.js'

export const CancelReasonSchema = Type.Object(
  {
    id: Int64({ description: 'Cancel reason identifier (what tickets name as cancel_reason_id).' }),
    name: Type.String({ description: 'What happened, e.g. "Operation too risky."' }),
    allows_ticket_reopening: Type.Boolean({ description: 'Whether a ticket cancelled for this reason may be reopened.' }),
    customer_fault: Type.Boolean({ description: 'Whether the customer caused the cancellation.' }),
    manually_applicable: Type.Boolean({ description: 'Whether an operator may choose it; the others are applied by the platform.' }),
  },
  { additionalProperties: false, title: 'CancelReason' },
)
export type CancelReason = Static<typeof CancelReasonSchema>
