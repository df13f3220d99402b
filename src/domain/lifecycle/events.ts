// A ticket's event, built beside the change it records and written by the same statement.
import type { Actor, TicketEventType } from '../../contract/ticket-event.js'
import type { NewEvent } from '../../store/ticket-ledger.js'
import { diffRecords, type TicketRecord } from './ticket-record.js'
import { nextUlid } from './ulid.js'

/** A date-time as PostgreSQL prints it back: RFC 3339 in UTC, trailing fractional zeros trimmed. */
export function wireTimestamp(date: Date): string {
  return date.toISOString().replace(/\.?0+Z$/, 'Z')
}

const json = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))

export function buildEvent(options: {
  type: TicketEventType
  before: TicketRecord | undefined
  after: TicketRecord
  actor: Actor
  now: Date
  lastEventId: string | null
}): NewEvent {
  const { type, before, after, actor, now } = options
  const id = nextUlid(now.getTime(), options.lastEventId)
  const occurredAt = wireTimestamp(now)
  const doc = json({
    id,
    type,
    occurred_at: occurredAt,
    payload: {
      ticket: { id: after.id, ticket_number: after.ticket_number, state: after.state },
      parent_ticket: after.parent_ticket_id === null ? null : { id: after.parent_ticket_id, ticket_number: after.parent_ticket_number },
      customer: after.customer_id === null ? null : { id: after.customer_id },
    },
    actor,
    changes: diffRecords(before, after),
  })
  return { id, providerId: after.provider_id, ticketId: after.id, type, occurredAt, doc }
}
