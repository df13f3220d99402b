// Query parameters of the simpler collections (cancel reasons, outsources, a ticket's events):
// each parameter described once — its parser, its schema and its description — and that one
// description drives the parser, the `query` echo and the OpenAPI parameters.
import type { TSchema } from 'typebox'
import Type from 'typebox'
import type { ErrorSlug } from '../errors/catalog.js'
import { PAGINATION } from './ticket-fields.js'
import { toAppError, type Issue } from './ticket-query.js'
import { splitQueryString } from './query-string.js'
import { FieldError, parseBoundedInteger } from './values.js'

export interface ParameterSpec<T = unknown> {
  parse: (raw: string) => T
  schema: TSchema
  description: string
  /** The problem code for a bad value (default invalid-filter). */
  slug?: ErrorSlug
  default?: T
  example?: string
}

/** A list: `a,b` and repeated parameters combine, as on the ticket list; `parse` reads one element. */
export interface ListParameterSpec<T = unknown> extends Omit<ParameterSpec<T>, 'default'> {
  list: true
}

export type ParameterSpecs = Record<string, ParameterSpec | ListParameterSpec>

export type ParsedParameters<S extends ParameterSpecs> = {
  [K in keyof S]: S[K] extends ListParameterSpec<infer T> ? T[] | undefined : S[K] extends ParameterSpec<infer T> ? T | undefined : never
}

const isList = (spec: ParameterSpec | ListParameterSpec): spec is ListParameterSpec => 'list' in spec && spec.list

/** `a,b&x=c` is three elements; empty or repeated elements are refused, as on the ticket list. */
function parseList(spec: ListParameterSpec, raws: string[]): unknown[] {
  const parsed: unknown[] = []
  for (const element of raws.flatMap((raw) => raw.split(','))) {
    if (element === '') throw new FieldError('must not be empty or contain an empty element')
    let value: unknown
    try {
      value = spec.parse(element)
    } catch (error) {
      if (!(error instanceof FieldError)) throw error
      throw new FieldError(`has an element "${element}" that ${error.message}`)
    }
    if (parsed.includes(value)) throw new FieldError(`lists ${element} more than once`)
    parsed.push(value)
  }
  return parsed
}

export const limitParameter = (what: string): ParameterSpec<number> => ({
  parse: (raw) => Number(parseBoundedInteger(raw, PAGINATION.limit.min, PAGINATION.limit.max)),
  schema: Type.Integer({ format: 'int32', minimum: 0, maximum: Number(PAGINATION.limit.max), default: PAGINATION.limit.default }),
  description: `Maximum number of ${what} in the result.`,
  slug: 'invalid-pagination',
  default: PAGINATION.limit.default,
})

export const offsetParameter = (what: string): ParameterSpec<number | bigint> => ({
  parse: (raw) => parseBoundedInteger(raw, PAGINATION.offset.min, PAGINATION.offset.max),
  schema: Type.Integer({ format: 'int64', minimum: 0, default: 0 }),
  description: `Number of ${what} to skip.`,
  slug: 'invalid-pagination',
  default: 0,
})

/** Parses the query string against the specs: unknown, repeated, empty or bad values are 400s naming each. */
export function parseCollectionQuery<S extends ParameterSpecs>(
  queryString: string,
  specs: S,
): { values: ParsedParameters<S>; echo: Record<string, unknown> } {
  const issues: Issue[] = []
  const seen = new Map<string, string[]>()
  for (const [name, value] of splitQueryString(queryString)) seen.set(name, [...(seen.get(name) ?? []), value])
  const values: Record<string, unknown> = {}
  const echo: Record<string, unknown> = {}
  for (const [name, raw] of seen) {
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined
    if (!spec) {
      issues.push({ slug: 'invalid-query', in: 'query', name, detail: 'is not a parameter of this endpoint (names are case-sensitive)' })
      continue
    }
    const slug = spec.slug ?? 'invalid-filter'
    if (raw.length > 1 && !isList(spec)) issues.push({ slug, in: 'query', name, detail: 'must be given at most once' })
    else if (raw.length === 1 && raw[0] === '') issues.push({ slug, in: 'query', name, detail: 'must not be empty' })
    else
      try {
        values[name] = isList(spec) ? parseList(spec, raw) : spec.parse(raw[0]!)
      } catch (error) {
        if (!(error instanceof FieldError)) throw error
        issues.push({ slug, in: 'query', name, detail: error.message })
      }
  }
  if (issues.length > 0) throw toAppError(issues)
  for (const [name, spec] of Object.entries(specs)) {
    if (values[name] === undefined && !isList(spec) && spec.default !== undefined) values[name] = spec.default
    if (values[name] !== undefined) echo[name] = values[name]
  }
  return { values: values as ParsedParameters<S>, echo }
}

/** The specs as OpenAPI query parameters (schemas still TypeBox; the document builder converts them). */
export function collectionParameters(specs: ParameterSpecs) {
  return Object.entries(specs).map(([name, spec]) => ({
    name,
    in: 'query' as const,
    description: spec.description,
    schema: spec.schema,
    // Lists are `a,b` (form, not exploded), and repeating the parameter adds elements.
    ...(isList(spec) ? { style: 'form', explode: false } : {}),
    ...(spec.example !== undefined ? { example: isList(spec) ? spec.example.split(',') : spec.example } : {}),
  }))
}
