// The field registry: every list filter and sort field, described once. The query parser,
// the SQL builder, the OpenAPI parameters and the `query` echo schema are all read from here,
// so adding a filter means adding one entry (and one test row).
import Type, { type TSchema } from 'typebox'
import { Int64, Nullable, StringEnum } from '../contract/schema-helpers.js'
import { TICKET_STATES, type TicketState } from '../contract/ticket.js'
import { FieldError, parseBoolean, parseDateTime, parseInt32, parseInt64, parseUuid } from './values.js'

/** Columns of the tickets table that filters and sorts may name. */
export type TicketColumn =
  | 'state'
  | 'cancel_reason_id'
  | 'created_at'
  | 'updated_at'
  | 'finished_at'
  | 'assigned_at'
  | 'customer_id'
  | 'customer_connector_id'
  | 'operator_id'
  | 'source_provider_id'
  | 'external_reference'
  | 'externally_processed'
  | 'ticket_number'
  | 'vehicle_model_id'
  | 'vin'
  | 'voucher_code'

/** How a filter compares: `any` = one of a list, `gt`/`lt` strictly, `eq` equality (null = IS NULL). */
export type FilterOp = 'any' | 'eq' | 'gt' | 'lt'

export type FilterValue = string | number | bigint | boolean | null | readonly (string | number)[]

export interface FilterDef {
  column: TicketColumn
  op: FilterOp
  /** Lists accept `a,b` and repeated parameters; scalars must appear once. */
  list: boolean
  /** Parses one raw (decoded) value, or one list element. Throws FieldError. */
  parse: (raw: string) => FilterValue
  /** The parsed value's schema: drives the OpenAPI parameter and the `query` echo. */
  schema: TSchema
  description: string
  example?: string
}

const dateRange = (column: TicketColumn, op: 'gt' | 'lt', what: string): FilterDef => ({
  column,
  op,
  list: false,
  parse: parseDateTime,
  schema: Type.String({ format: 'date-time' }),
  description:
    `Only tickets ${what} strictly ${op === 'gt' ? 'after' : 'before'} this RFC 3339 date-time (with seconds and a zone).` +
    (column === 'finished_at' ? ' Tickets that have not finished never match.' : ''),
  example: '2023-03-15T08:34:28Z',
})

const uuidEquals = (column: TicketColumn, description: string): FilterDef => ({
  column,
  op: 'eq',
  list: false,
  parse: parseUuid,
  schema: Type.String({ format: 'uuid' }),
  description,
})

const int64Equals = (column: TicketColumn, description: string, example?: string): FilterDef => ({
  column,
  op: 'eq',
  list: false,
  parse: parseInt64,
  schema: Int64(),
  description,
  ...(example ? { example } : {}),
})

function parseState(raw: string): TicketState {
  if (!(TICKET_STATES as readonly string[]).includes(raw)) throw new FieldError(`must be one of ${TICKET_STATES.join(', ')}`)
  return raw as TicketState
}

function parseVin(raw: string): string | null {
  // Present but empty (`vin=`) means "tickets without a VIN", as the partner API documents.
  if (raw === '') return null
  if ([...raw].length !== 17) throw new FieldError('must be exactly 17 characters, or empty for tickets without a VIN')
  return raw
}

function parseExternalReference(raw: string): string {
  if ([...raw].length > 255) throw new FieldError('must be at most 255 characters')
  return raw
}

function parseVoucherCode(raw: string): string {
  if (raw === '') throw new FieldError('must not be empty')
  return raw
}

export const FILTERS = {
  cancel_reason_id: {
    column: 'cancel_reason_id',
    op: 'any',
    list: true,
    parse: parseInt32,
    schema: Type.Array(Type.Integer({ format: 'int32' }), { minItems: 1, uniqueItems: true }),
    description: 'Only tickets with one of these cancel reasons (comma-separated or repeated).',
    example: '1,2',
  },
  created_after: dateRange('created_at', 'gt', 'created'),
  created_before: dateRange('created_at', 'lt', 'created'),
  customer_connector_id: uuidEquals('customer_connector_id', 'Only tickets of this customer connector.'),
  customer_id: uuidEquals('customer_id', 'Only tickets of this customer.'),
  external_reference: {
    column: 'external_reference',
    op: 'eq',
    list: false,
    parse: parseExternalReference,
    schema: Type.String({ maxLength: 255 }),
    description: 'Only tickets with exactly this external reference (an empty value matches the empty reference).',
  },
  externally_processed: {
    column: 'externally_processed',
    op: 'eq',
    list: false,
    parse: parseBoolean,
    schema: Type.Boolean(),
    description: 'Only tickets that are (true) or are not (false) processed by an external system.',
  },
  finished_after: dateRange('finished_at', 'gt', 'finished'),
  finished_before: dateRange('finished_at', 'lt', 'finished'),
  operator_id: uuidEquals('operator_id', 'Only tickets of this operator.'),
  source_provider_id: uuidEquals('source_provider_id', 'Only tickets from this source provider.'),
  state: {
    column: 'state',
    op: 'any',
    list: true,
    parse: parseState,
    schema: Type.Array(StringEnum(TICKET_STATES), { minItems: 1, uniqueItems: true }),
    description: 'Only tickets in one of these states (comma-separated or repeated).',
    example: 'closed,cancelled',
  },
  ticket_number: int64Equals('ticket_number', 'Only the ticket with this number.', '7179072'),
  updated_after: dateRange('updated_at', 'gt', 'updated'),
  updated_before: dateRange('updated_at', 'lt', 'updated'),
  vehicle_model_id: int64Equals('vehicle_model_id', 'Only tickets of this vehicle model.'),
  vin: {
    column: 'vin',
    op: 'eq',
    list: false,
    parse: parseVin,
    schema: Nullable(Type.String({ minLength: 17, maxLength: 17 })),
    description: 'Only tickets with this 17-character VIN. An empty value (`vin=`) returns tickets without a VIN.',
    example: 'JH4KA7630PC007649',
  },
  voucher_code: {
    column: 'voucher_code',
    op: 'eq',
    list: false,
    parse: parseVoucherCode,
    schema: Type.String({ minLength: 1 }),
    description: 'Only tickets with this voucher code.',
    example: 'WQ4MM3',
  },
} as const satisfies Record<string, FilterDef>

export type FilterName = keyof typeof FILTERS
export const FILTER_NAMES = Object.keys(FILTERS) as FilterName[]

/** Parameters whose empty value is meaningful; every other parameter rejects `name=`. */
export const EMPTY_VALUE_ALLOWED: ReadonlySet<string> = new Set<FilterName>(['vin', 'external_reference'])

/**
 * Fields `sort_by` accepts. Nullable ones sort their nulls last in both directions. `parse` is
 * the column's codec: it checks a cursor's value against the column's type and range and
 * returns it as the text the SQL binds (a value the column cannot hold never reaches the store).
 */
const sortText = (parse: (raw: string) => unknown) => (raw: string) => String(parse(raw))
export const SORT_FIELDS = {
  created_at: { column: 'created_at', nullable: false, parse: sortText(parseDateTime) },
  updated_at: { column: 'updated_at', nullable: false, parse: sortText(parseDateTime) },
  assigned_at: { column: 'assigned_at', nullable: true, parse: sortText(parseDateTime) },
  finished_at: { column: 'finished_at', nullable: true, parse: sortText(parseDateTime) },
  ticket_number: { column: 'ticket_number', nullable: false, parse: sortText(parseInt64) },
} as const satisfies Record<string, { column: TicketColumn; nullable: boolean; parse: (raw: string) => string }>

export type SortField = keyof typeof SORT_FIELDS
export const SORT_FIELD_NAMES = Object.keys(SORT_FIELDS) as SortField[]
export const SORT_DIRECTIONS = ['asc', 'desc'] as const
export type SortDirection = (typeof SORT_DIRECTIONS)[number]

export const PAGINATION = {
  limit: { min: 0n, max: 1000n, default: 25 },
  offset: { min: 0n, max: 2n ** 63n - 1n, default: 0 },
} as const

export const DEFAULT_SORT: ReadonlyArray<{ field: SortField; direction: SortDirection }> = [{ field: 'created_at', direction: 'asc' }]
