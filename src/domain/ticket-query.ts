// parseTicketQuery: raw query string → TicketQuery (filters, sort, page) plus the `query`
// echo. Pure; every problem found is reported at once, one `errors[]` entry per parameter.
import type { ProblemError } from '../contract/problem.js'
import { AppError } from '../errors/app-error.js'
import type { ErrorSlug } from '../errors/catalog.js'
import { splitQueryString } from './query-string.js'
import {
  DEFAULT_SORT,
  EMPTY_VALUE_ALLOWED,
  FILTERS,
  PAGINATION,
  SORT_DIRECTIONS,
  SORT_FIELDS,
  SORT_FIELD_NAMES,
  type FilterDef,
  type FilterName,
  type FilterValue,
  type SortDirection,
  type SortField,
} from './ticket-fields.js'
import { type FieldError, parseBoundedInteger } from './values.js'
import { decodeCursor, type CursorPosition } from './cursor.js'

export interface AppliedFilter {
  name: FilterName
  def: FilterDef
  value: FilterValue
}

export interface SortKey {
  field: SortField
  direction: SortDirection
}

export interface TicketQuery {
  filters: AppliedFilter[]
  sort: SortKey[]
  limit: number
  offset: number | bigint
  /** Keyset position: only rows after this one in the sort order (the `after` cursor). */
  after?: CursorPosition
  /** The `query` member of the response: every applied parameter, defaults included. */
  echo: Record<string, unknown>
}

export type Issue = ProblemError & { slug: ErrorSlug }

const SORT_KEY = /^sort_by\[([^\]]*)\]$/

/** Restrictions for the collections that offer only part of the list's parameters. */
export interface TicketQueryOptions {
  /** The filters accepted (default: every filter of the registry); any other is an unknown parameter. */
  filters?: readonly FilterName[]
  /** false: no sort_by and no after (the default order applies, and sort_by is not echoed). */
  ordering?: boolean
}

export function parseTicketQuery(queryString: string, options: TicketQueryOptions = {}): TicketQuery {
  const allowed: ReadonlySet<string> | undefined = options.filters && new Set(options.filters)
  const ordering = options.ordering ?? true
  const issues: Issue[] = []
  const report = (slug: ErrorSlug, name: string, detail: string) => issues.push({ slug, in: 'query', name, detail })

  const byName = new Map<string, string[]>()
  for (const [name, value] of splitQueryString(queryString)) {
    const values = byName.get(name)
    if (values) values.push(value)
    else byName.set(name, [value])
  }

  const filters: AppliedFilter[] = []
  let rawAfter: string | undefined
  const sort: SortKey[] = []
  const page = { limit: PAGINATION.limit.default as number | bigint, offset: PAGINATION.offset.default as number | bigint }

  for (const [name, values] of byName) {
    if (Object.hasOwn(FILTERS, name) && (!allowed || allowed.has(name))) {
      const def: FilterDef = FILTERS[name as FilterName]
      const value = parseFilter(name, def, values, report)
      if (value !== undefined) filters.push({ name: name as FilterName, def, value })
    } else if (name === 'limit' || name === 'offset') {
      const bounds = PAGINATION[name]
      if (values.length > 1) report('invalid-pagination', name, 'must be given at most once')
      else
        try {
          page[name] = parseBoundedInteger(values[0]!, bounds.min, bounds.max)
        } catch (error) {
          report('invalid-pagination', name, (error as FieldError).message)
        }
    } else if (name === 'after' && ordering) {
      if (values.length > 1) report('invalid-pagination', name, 'must be given at most once')
      else if (values[0] === '') report('invalid-pagination', name, 'must not be empty')
      else rawAfter = values[0]
    } else if (name.startsWith('sort_by') && ordering) {
      const key = parseSortKey(name, values, report)
      if (key) sort.push(key)
    } else {
      report('invalid-query', name, 'is not a parameter of this endpoint (names are case-sensitive)')
    }
  }

  const appliedSort = sort.length > 0 ? sort : [...DEFAULT_SORT]
  let after: CursorPosition | undefined
  if (rawAfter !== undefined)
    try {
      after = decodeCursor(rawAfter, appliedSort)
    } catch (error) {
      report('invalid-pagination', 'after', (error as FieldError).message)
    }

  if (issues.length > 0) throw toAppError(issues)

  const echo: Record<string, unknown> = {}
  for (const filter of filters) echo[filter.name] = filter.value
  echo.limit = page.limit
  echo.offset = page.offset
  if (ordering) echo.sort_by = Object.fromEntries(appliedSort.map((key) => [key.field, key.direction]))
  if (rawAfter !== undefined) echo.after = rawAfter
  return { filters, sort: appliedSort, limit: Number(page.limit), offset: page.offset, ...(after ? { after } : {}), echo }
}

function parseFilter(
  name: string,
  def: FilterDef,
  values: string[],
  report: (slug: ErrorSlug, name: string, detail: string) => void,
): FilterValue | undefined {
  // PostgreSQL text cannot hold NUL, so no stored value could ever contain one.
  if (values.some((value) => value.includes('\u0000'))) return void report('invalid-filter', name, 'must not contain the NUL character')
  if (!def.list) {
    if (values.length > 1) return void report('invalid-filter', name, 'must be given at most once')
    const raw = values[0]!
    if (raw === '' && !EMPTY_VALUE_ALLOWED.has(name)) return void report('invalid-filter', name, 'must not be empty')
    try {
      return def.parse(raw)
    } catch (error) {
      return void report('invalid-filter', name, (error as FieldError).message)
    }
  }
  // `state=a,b&state=c` is three values: the comma and repeated forms combine.
  const elements = values.flatMap((value) => value.split(','))
  const parsed: (string | number)[] = []
  for (const element of elements) {
    if (element === '') return void report('invalid-filter', name, 'must not be empty or contain an empty element')
    try {
      const value = def.parse(element) as string | number
      if (parsed.includes(value)) return void report('invalid-filter', name, `lists ${element} more than once`)
      parsed.push(value)
    } catch (error) {
      return void report('invalid-filter', name, `has an element "${element}" that ${(error as FieldError).message}`)
    }
  }
  return parsed
}

function parseSortKey(
  name: string,
  values: string[],
  report: (slug: ErrorSlug, name: string, detail: string) => void,
): SortKey | undefined {
  const match = SORT_KEY.exec(name)
  const fields = SORT_FIELD_NAMES.join(', ')
  if (!match) return void report('invalid-sort', name, `must be written as sort_by[<field>]=asc|desc, with <field> one of ${fields}`)
  const field = match[1]!
  if (!Object.hasOwn(SORT_FIELDS, field)) return void report('invalid-sort', name, `names an unknown field; sortable fields are ${fields}`)
  if (values.length > 1) return void report('invalid-sort', name, 'must be given at most once')
  const direction = values[0]!
  if (!(SORT_DIRECTIONS as readonly string[]).includes(direction)) return void report('invalid-sort', name, 'must be asc or desc')
  return { field: field as SortField, direction: direction as SortDirection }
}

export function toAppError(issues: Issue[]): AppError {
  const slugs = new Set(issues.map((issue) => issue.slug))
  const slug = slugs.size === 1 ? issues[0]!.slug : 'invalid-query'
  const errors = issues.map(({ slug: _slug, ...error }) => error)
  const detail =
    issues.length === 1
      ? `Query parameter ${issues[0]!.name} ${issues[0]!.detail}.`
      : `${issues.length} query parameters are invalid: ${issues.map((issue) => issue.name).join(', ')}.`
  return new AppError(slug, detail, { errors })
}
