// The whole stored ticket, as the lifecycle reads and writes it: the wire Ticket plus the
// fields only the per-state collections show and the link to the ticket it was outsourced
// from. Values are in wire form (timestamps RFC 3339), so a change reads the same in an
// event's `changes` as in a GET.
import type { Ticket } from '../../contract/ticket.js'

export interface TicketRecord extends Ticket {
  provider_id: string
  preparer_external_reference: string
  service_started_at: string | null
  vehicle_battery_voltage: '12v' | '24v' | null
  parent_ticket_id: string | null
  parent_ticket_number: number | bigint | null
}

/** The columns a lifecycle operation may set (never id, provider, created_at or number). */
export type TicketChanges = Partial<
  Pick<
    TicketRecord,
    | 'state'
    | 'assigned_at'
    | 'cancel_reason_id'
    | 'connection_id'
    | 'customer_channel_id'
    | 'customer_connector_id'
    | 'customer_reference'
    | 'external_reference'
    | 'externally_processed'
    | 'finished_at'
    | 'operator_id'
    | 'operator_reference'
    | 'outsourced'
    | 'vehicle_model_id'
    | 'vin'
    | 'voucher_code'
    | 'preparer_external_reference'
    | 'service_started_at'
    | 'vehicle_battery_voltage'
  >
>

/**
 * The fields an event's `changes` reports. Not id, provider, created_at or ticket_number (they
 * never change), nor updated_at (the event's occurred_at says when).
 */
export const TRACKED_FIELDS = [
  'state',
  'assigned_at',
  'cancel_reason_id',
  'connection_id',
  'customer_channel_id',
  'customer_connector_id',
  'customer_id',
  'customer_reference',
  'external_reference',
  'externally_processed',
  'finished_at',
  'operator_channel_id',
  'operator_id',
  'operator_reference',
  'outsourced',
  'source_provider_id',
  'vehicle_model_id',
  'vin',
  'voucher_code',
  'preparer_external_reference',
  'service_started_at',
  'vehicle_battery_voltage',
] as const satisfies ReadonlyArray<keyof TicketRecord>

export type Changes = Record<string, { old: unknown; new: unknown }>

const same = (a: unknown, b: unknown) => (typeof a === 'bigint' || typeof b === 'bigint' ? String(a) === String(b) : a === b)

/** Each tracked field whose value differs, with both values. `before` undefined: a new ticket. */
export function diffRecords(before: TicketRecord | undefined, after: TicketRecord): Changes {
  const changes: Changes = {}
  for (const field of TRACKED_FIELDS) {
    const old = before ? before[field] : null
    const value = after[field]
    if (before ? !same(old, value) : value !== null && value !== '' && value !== false)
      changes[field] = { old: before ? old : null, new: value }
  }
  return changes
}
