// The per-state collections of the partner API (/v2/tickets/<state>-tickets): views of the one
// tickets table, each a state and the item fields the partner API gives tickets in it. The item
// schemas (contract/state-views.ts), the routes, the OpenAPI document and the SQL
// (store/state-views-sql.ts) are all read from this table, and their query parameters are a
// subset of the field registry's filters (ticket-fields.ts), parsed by parseTicketQuery.
import type { Ticket, TicketState } from '../contract/ticket.js'
import type { FilterName } from './ticket-fields.js'

/** Item fields that are not members of the generic Ticket. */
export type ExtraViewField =
  | 'preparer_external_reference'
  | 'service_started_at'
  | 'vehicle_battery_voltage'
  | 'outsource_provider_id'
  | 'outsource_ticket_id'
  | 'reclaimable'

export type ViewField = keyof Ticket | ExtraViewField

export interface StateView {
  /** The path segment after /v2/tickets/. */
  slug: string
  state: TicketState
  /** The item schema's title; the list envelope is `${title}List`. */
  title: string
  /** Used in operation ids: list<Noun>Tickets, get<Noun>Ticket. */
  noun: string
  summary: string
  fields: readonly ViewField[]
  /** Ticket fields that are never null in this state (the database's CHECK constraints). */
  required?: readonly ViewField[]
}

const BASE = ['id', 'created_at', 'customer_id', 'ticket_number', 'vehicle_model_id', 'vin'] as const satisfies readonly ViewField[]
const FINISHED = [
  ...BASE,
  'finished_at',
  'externally_processed',
  'external_reference',
  'operator_id',
  'vehicle_battery_voltage',
  'connection_id',
] as const satisfies readonly ViewField[]

export const STATE_VIEWS = [
  {
    slug: 'prepared-tickets',
    state: 'prepared',
    title: 'PreparedTicket',
    noun: 'Prepared',
    summary: 'Pre-filled tickets a customer can pick up in the Customer Portal.',
    fields: [...BASE, 'voucher_code', 'preparer_external_reference'],
  },
  {
    slug: 'pending-tickets',
    state: 'pending',
    title: 'PendingTicket',
    noun: 'Pending',
    summary: 'Tickets ready to be serviced by an operator.',
    // voucher_code goes beyond the partner API's pending schema: the voucher is applied before
    // service starts, and an operator choosing a ticket to join should see it.
    fields: [...BASE, 'voucher_code', 'connection_id'],
    required: ['vin'],
  },
  {
    slug: 'in-progress-tickets',
    state: 'in_progress',
    title: 'InProgressTicket',
    noun: 'InProgress',
    summary: 'Tickets joined by an operator and being worked on.',
    fields: [...BASE, 'service_started_at', 'operator_id', 'voucher_code', 'outsourced', 'connection_id'],
    required: ['vin', 'operator_id'],
  },
  {
    slug: 'outsourced-tickets',
    state: 'outsourced',
    title: 'OutsourcedTicket',
    noun: 'Outsourced',
    summary: 'Tickets you asked a partnered provider to service.',
    fields: [...BASE, 'outsource_provider_id', 'outsource_ticket_id', 'reclaimable', 'voucher_code', 'connection_id'],
    required: ['vin'],
  },
  {
    slug: 'closed-tickets',
    state: 'closed',
    title: 'ClosedTicket',
    noun: 'Closed',
    summary: 'Tickets completed successfully.',
    fields: FINISHED,
    required: ['vin', 'finished_at'],
  },
  {
    slug: 'cancelled-tickets',
    state: 'cancelled',
    title: 'CancelledTicket',
    noun: 'Cancelled',
    summary: 'Cancelled tickets (operator_id is empty when the platform cancelled automatically).',
    fields: [...FINISHED, 'cancel_reason_id'],
    required: ['vin', 'finished_at', 'cancel_reason_id'],
  },
] as const satisfies readonly StateView[]

/** The query parameters of every per-state collection, besides limit and offset. */
export const STATE_VIEW_FILTERS = [
  'ticket_number',
  'created_after',
  'created_before',
  'customer_id',
] as const satisfies readonly FilterName[]
