// The list parameters as a caller writes them, and their encoding as the API reads them:
// lists as `a,b`, `sort_by[field]=dir` in the given order, dates as RFC 3339, `vin: null` as
// `vin=` (tickets without a VIN), booleans as true/false, integers as plain decimals.
import type { LIST_TICKETS_PARAMETERS, ListTicketsParameters } from './api-types.js'

type Parameter = (typeof LIST_TICKETS_PARAMETERS)[number]
type DateTimeParameter = Extract<Parameter, { format: 'date-time' }>['name']

export type SortField = keyof NonNullable<ListTicketsParameters['sort_by']>
export type SortDirection = 'asc' | 'desc'
/** Sort keys in the order they apply: an object (its key order) or `[field, direction]` pairs. */
export type SortBy = { readonly [F in SortField]?: SortDirection } | ReadonlyArray<readonly [SortField, SortDirection]>

/** One value or a list for list parameters; number or bigint for integers. */
type Widen<T> = T extends readonly (infer E)[] ? E | readonly E[] : T extends number ? number | bigint : T

/** Parameters of `tickets.list`, typed from the API's own parameter schemas. */
export type ListTicketsParams = {
  [K in Exclude<keyof ListTicketsParameters, 'sort_by' | DateTimeParameter>]?: Widen<Exclude<ListTicketsParameters[K], undefined>>
} & {
  /** A Date (sent as toISOString()) or an RFC 3339 string with seconds and a zone. */
  [K in DateTimeParameter]?: Date | string
} & {
  sort_by?: SortBy
}

function scalar(name: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`${name}: ${value} is not a finite number`)
    return String(value)
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError(`${name}: the Date is invalid`)
    return value.toISOString()
  }
  throw new TypeError(`${name}: cannot send a value of type ${value === null ? 'null' : typeof value}`)
}

function sortPairs(sortBy: unknown): Array<readonly [string, string]> {
  if (Array.isArray(sortBy)) {
    return sortBy.map((pair: unknown) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('sort_by: each entry must be a [field, direction] pair')
      return [String(pair[0]), String(pair[1])] as const
    })
  }
  if (typeof sortBy === 'object' && sortBy !== null) return Object.entries(sortBy).map(([field, dir]) => [field, String(dir)] as const)
  throw new TypeError('sort_by: must be an object such as { created_at: "desc" } or [field, direction] pairs')
}

/** The query string (without `?`) for `params`, parameters in the order given; undefined ones are left out. */
export function encodeListQuery(params: ListTicketsParams | Record<string, unknown>): string {
  const parts: string[] = []
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (name === 'sort_by') {
      for (const [field, direction] of sortPairs(value))
        parts.push(`sort_by[${encodeURIComponent(field)}]=${encodeURIComponent(direction)}`)
      continue
    }
    let encoded: string
    if (value === null) {
      // `vin=` means "tickets without a VIN"; the API refuses an empty value anywhere else.
      encoded = ''
    } else if (Array.isArray(value)) {
      // An empty list would match nothing, and leaving the filter out would match everything:
      // neither is what the caller meant, so it is refused here.
      if (value.length === 0) throw new RangeError(`${name}: an empty list matches nothing; leave the parameter out to match all`)
      encoded = value.map((element) => encodeURIComponent(scalar(name, element))).join(',')
    } else {
      encoded = encodeURIComponent(scalar(name, value))
    }
    parts.push(`${encodeURIComponent(name)}=${encoded}`)
  }
  return parts.join('&')
}
