// Row → Ticket mapping, the one place timestamps and int64s change representation.
import type { Ticket } from '../contract/ticket.js'
import { TICKET_FIELDS } from '../contract/ticket.js'
import { toSafeInteger } from '../domain/values.js'
import type { TicketsTable } from './database.js'
import type { CursorPosition } from '../domain/cursor.js'
import type { TicketQuery } from '../domain/ticket-query.js'

/** Ticket columns in wire order: the select list of every ticket query. */
export const TICKET_COLUMNS = TICKET_FIELDS

/**
 * PostgreSQL prints timestamptz in a UTC session as `2019-08-24 14:15:22.5+00`, already
 * trimming trailing fractional zeros; RFC 3339 wants a `T` and a `Z`.
 */
export function timestampToRfc3339(value: string): string {
  return `${value.slice(0, 10)}T${value.slice(11).replace(/\+00(?::00)?$/, '')}Z`
}

const nullableTimestamp = (value: string | null) => (value === null ? null : timestampToRfc3339(value))

/** The columns that hold the wire Ticket's fields. */
export type TicketFieldsRow = Pick<TicketsTable, keyof Ticket>

export function rowToTicket(row: TicketFieldsRow): Ticket {
  return {
    id: row.id,
    assigned_at: nullableTimestamp(row.assigned_at),
    cancel_reason_id: row.cancel_reason_id,
    connection_id: row.connection_id,
    created_at: timestampToRfc3339(row.created_at),
    customer_channel_id: row.customer_channel_id,
    customer_connector_id: row.customer_connector_id,
    customer_id: row.customer_id,
    customer_reference: row.customer_reference,
    external_reference: row.external_reference,
    externally_processed: row.externally_processed,
    finished_at: nullableTimestamp(row.finished_at),
    operator_channel_id: row.operator_channel_id,
    operator_id: row.operator_id,
    operator_reference: row.operator_reference,
    outsourced: row.outsourced,
    source_provider_id: row.source_provider_id,
    state: row.state,
    ticket_number: toSafeInteger(BigInt(row.ticket_number)),
    updated_at: timestampToRfc3339(row.updated_at),
    vehicle_model_id: toSafeInteger(BigInt(row.vehicle_model_id)),
    vin: row.vin,
    voucher_code: row.voucher_code,
  }
}

/**
 * The `next` cursor's position after a page: the sort values and id of its last ticket, read
 * from the stored document, which holds them in exactly the form cursors carry (timestamps as
 * RFC 3339, ticket numbers as JSON integers, which are safe integers).
 */
export function cursorPosition(doc: string, query: Pick<TicketQuery, 'sort'>): CursorPosition {
  const ticket = JSON.parse(doc) as Record<string, unknown>
  return {
    values: query.sort.map(({ field }) => (ticket[field] === null ? null : String(ticket[field]))),
    id: String(ticket.id),
  }
}
