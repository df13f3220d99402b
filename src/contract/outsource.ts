// An outsource: a ticket sent to a partnered provider (GET /v2/tickets/outsources). Its state
// follows the partner's ticket.
import Type, { type Static } from 'typebox'
import { Int64, Nullable, StringEnum } from './schema-helpers.js'

export const OUTSOURCE_STATES = ['pending', 'in_progress', 'closed', 'cancelled'] as const

export const OutsourceSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Outsource identifier.' }),
    ticket_id: Type.String({ format: 'uuid', description: 'Your ticket that was outsourced.' }),
    provider_id: Type.String({ format: 'uuid', description: 'The partnered provider servicing it.' }),
    state: StringEnum(OUTSOURCE_STATES, { description: 'The state of the partner’s ticket.' }),
    ticket_number: Int64({ description: 'The ticket number at the partner.' }),
    assigned_at: Nullable(Type.String({ format: 'date-time', description: 'When the partner’s first operator joined.' })),
    cancel_reason_id: Nullable(Type.Integer({ format: 'int32', description: 'Only for cancelled outsources.' })),
    created_at: Type.String({ format: 'date-time' }),
    finished_at: Nullable(Type.String({ format: 'date-time', description: 'Only for closed or cancelled outsources.' })),
    operator_channel_id: Type.String({ format: 'uuid', description: 'Messenger channel with the partner’s operator.' }),
  },
  { additionalProperties: false, title: 'Outsource' },
)
export type Outsource = Static<typeof OutsourceSchema>
