// A plain in-memory model of GET /v2/tickets/tickets, written from issue 2's parameter table
// and independently of src/ (only the wire types are shared). It takes an already structured
// query (no query-string parsing) and answers with what the endpoint must return.
import type { Ticket, TicketState } from '../../src/contract/ticket.js'

export type SortField = 'created_at' | 'updated_at' | 'assigned_at' | 'finished_at' | 'ticket_number'
export type Direction = 'asc' | 'desc'
export type SortKeys = ReadonlyArray<readonly [SortField, Direction]>
export type Int64 = number | bigint

/** A structured list query: every member optional, as a client would send it. */
export interface ModelQuery {
  state?: TicketState[]
  cancel_reason_id?: number[]
  created_after?: string
  created_before?: string
  updated_after?: string
  updated_before?: string
  finished_after?: string
  finished_before?: string
  customer_id?: string
  customer_connector_id?: string
  operator_id?: string
  source_provider_id?: string
  external_reference?: string
  externally_processed?: boolean
  ticket_number?: Int64
  vehicle_model_id?: Int64
  /** null: tickets without a VIN (`vin=`). */
  vin?: string | null
  voucher_code?: string
  /** In the order the keys apply; empty or absent means the default. */
  sort_by?: SortKeys
  limit?: number
  offset?: Int64
}

export const DEFAULT_LIMIT = 25
export const DEFAULT_SORT: SortKeys = [['created_at', 'asc']]

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|([+-])(\d{2}):(\d{2}))$/

/** An RFC 3339 date-time as microseconds since the epoch (exact, whatever the offset). */
export function instant(dateTime: string): bigint {
  const m = DATE_TIME.exec(dateTime)
  if (!m) throw new Error(`model: not an RFC 3339 date-time: ${dateTime}`)
  const date = new Date(0)
  date.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  date.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0)
  const offsetMinutes = m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]))
  const millis = BigInt(date.getTime()) - BigInt(offsetMinutes) * 60_000n
  return millis * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'))
}

/** The same instant written in UTC with `Z`, fraction without trailing zeros. */
export function toUtc(dateTime: string): string {
  const micros = instant(dateTime)
  const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n
  const seconds = (micros - fraction) / 1_000_000n
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19)
  const digits = String(fraction).padStart(6, '0').replace(/0+$/, '')
  return `${whole}${digits ? `.${digits}` : ''}Z`
}

/** int64 values as bigints, so numbers and bigints compare exactly. */
const int = (value: Int64) => BigInt(value)

const DATE_FILTERS = [
  ['created_after', 'created_at', 1],
  ['created_before', 'created_at', -1],
  ['updated_after', 'updated_at', 1],
  ['updated_before', 'updated_at', -1],
  ['finished_after', 'finished_at', 1],
  ['finished_before', 'finished_at', -1],
] as const

const UUID_FILTERS = ['customer_id', 'customer_connector_id', 'operator_id', 'source_provider_id'] as const

/** Whether `ticket` satisfies every filter of `query` (limit, offset and sort are ignored). */
export function matches(ticket: Ticket, query: ModelQuery): boolean {
  if (query.state && !query.state.includes(ticket.state)) return false
  if (query.cancel_reason_id && (ticket.cancel_reason_id === null || !query.cancel_reason_id.includes(ticket.cancel_reason_id)))
    return false
  for (const [name, column, sign] of DATE_FILTERS) {
    const bound = query[name]
    if (bound === undefined) continue
    const value = ticket[column]
    if (value === null) return false // an unfinished ticket never matches finished_*
    const difference = instant(value) - instant(bound)
    if (sign > 0 ? difference <= 0n : difference >= 0n) return false // strictly after / before
  }
  for (const name of UUID_FILTERS) {
    const wanted = query[name]
    if (wanted === undefined) continue
    const value = ticket[name]
    if (value === null || value.toLowerCase() !== wanted.toLowerCase()) return false
  }
  if (query.external_reference !== undefined && ticket.external_reference !== query.external_reference) return false
  if (query.externally_processed !== undefined && ticket.externally_processed !== query.externally_processed) return false
  if (query.ticket_number !== undefined && int(ticket.ticket_number) !== int(query.ticket_number)) return false
  if (query.vehicle_model_id !== undefined && int(ticket.vehicle_model_id) !== int(query.vehicle_model_id)) return false
  if (query.vin !== undefined && ticket.vin !== query.vin) return false
  if (query.voucher_code !== undefined && ticket.voucher_code !== query.voucher_code) return false
  return true
}

function sortValue(ticket: Ticket, field: SortField): bigint | null {
  const value = ticket[field]
  if (value === null) return null
  return field === 'ticket_number' ? int(value as Int64) : instant(value as string)
}

/** Orders by the keys in turn, nulls last in both directions, then by id ascending. */
export function compareBy(keys: SortKeys): (a: Ticket, b: Ticket) => number {
  return (a, b) => {
    for (const [field, direction] of keys) {
      const x = sortValue(a, field)
      const y = sortValue(b, field)
      if (x === y) continue
      if (x === null) return 1
      if (y === null) return -1
      const order = x < y ? -1 : 1
      return direction === 'asc' ? order : -order
    }
    const [p, q] = [a.id.toLowerCase(), b.id.toLowerCase()]
    return p < q ? -1 : p > q ? 1 : 0
  }
}

export function sortTickets(tickets: readonly Ticket[], keys: SortKeys = DEFAULT_SORT): Ticket[] {
  return [...tickets].sort(compareBy(keys.length > 0 ? keys : DEFAULT_SORT))
}

/** The `query` echo: every applied parameter in parsed form, defaults included. */
export function echoOf(query: ModelQuery): Record<string, unknown> {
  const echo: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || name === 'sort_by' || name === 'limit' || name === 'offset') continue
    if (name.endsWith('_after') || name.endsWith('_before')) echo[name] = toUtc(value as string)
    else if ((UUID_FILTERS as readonly string[]).includes(name)) echo[name] = (value as string).toLowerCase()
    else if (typeof value === 'bigint') echo[name] = safe(value)
    else echo[name] = value
  }
  echo.limit = query.limit ?? DEFAULT_LIMIT
  echo.offset = safe(int(query.offset ?? 0))
  const keys = query.sort_by && query.sort_by.length > 0 ? query.sort_by : DEFAULT_SORT
  echo.sort_by = Object.fromEntries(keys)
  return echo
}

/** A bigint that a double holds exactly becomes a number, as JSON readers see it. */
export function safe(value: bigint): Int64 {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}

export interface ModelPage {
  query: Record<string, unknown>
  result: Ticket[]
  total: number
}

/** What the endpoint answers for `query` over one provider's `tickets`. */
export function listModel(tickets: readonly Ticket[], query: ModelQuery): ModelPage {
  const matching = sortTickets(
    tickets.filter((ticket) => matches(ticket, query)),
    query.sort_by ?? DEFAULT_SORT,
  )
  const offset = int(query.offset ?? 0)
  const start = offset > BigInt(matching.length) ? matching.length : Number(offset)
  const limit = query.limit ?? DEFAULT_LIMIT
  return { query: echoOf(query), result: matching.slice(start, start + limit), total: matching.length }
}
