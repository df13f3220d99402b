// Row ↔ TicketRecord: the whole stored ticket in wire form (see ticket-row.ts for the Ticket).
import type { Selectable } from 'kysely'
import type { TicketRecord } from '../domain/lifecycle/ticket-record.js'
import { toSafeInteger } from '../domain/values.js'
import type { OutsourcesTable, TicketsTable } from './database.js'
import type { OutsourceRecord } from './ticket-ledger.js'
import { rowToTicket, TICKET_COLUMNS, timestampToRfc3339 } from './ticket-row.js'

export const RECORD_COLUMNS = [
  ...TICKET_COLUMNS,
  'provider_id',
  'preparer_external_reference',
  'service_started_at',
  'vehicle_battery_voltage',
  'parent_ticket_id',
  'parent_ticket_number',
] as const

export type RecordRow = Pick<Selectable<TicketsTable>, (typeof RECORD_COLUMNS)[number]>

const timestamp = (value: string | null) => (value === null ? null : timestampToRfc3339(value))

export function rowToRecord(row: RecordRow): TicketRecord {
  return {
    ...rowToTicket(row),
    provider_id: row.provider_id,
    preparer_external_reference: row.preparer_external_reference,
    service_started_at: timestamp(row.service_started_at),
    vehicle_battery_voltage: row.vehicle_battery_voltage,
    parent_ticket_id: row.parent_ticket_id,
    parent_ticket_number: row.parent_ticket_number === null ? null : toSafeInteger(BigInt(row.parent_ticket_number)),
  }
}

export function rowToOutsource(row: Selectable<OutsourcesTable>): OutsourceRecord {
  return {
    ...row,
    ticket_number: toSafeInteger(BigInt(row.ticket_number)),
    assigned_at: timestamp(row.assigned_at),
    created_at: timestampToRfc3339(row.created_at),
    finished_at: timestamp(row.finished_at),
  }
}

/** int64 values go to the driver as text, so no precision is lost on the way. */
export const int64Param = (value: number | bigint | null) => (value === null ? null : String(value))
