// Opaque list cursors for keyset pagination: the sort spec plus the last row's sort values and
// id, base64url-encoded JSON. A cursor is only valid with the sort it was made under, so a
// client that changes sort_by mid-walk is told so instead of silently skipping rows.
//
// A cursor comes back from the client, so it is untrusted input like any other parameter:
// every member is checked for shape, and every value against its column's codec (type and
// range), before anything is bound into SQL. A forged cursor is a 400, never a store error.
import { FieldError, parseUuid } from './values.js'
import { SORT_FIELDS, SORT_DIRECTIONS, type SortDirection, type SortField } from './ticket-fields.js'

export interface CursorPosition {
  /** The last row's values of the sort keys, in sort order (timestamps as RFC 3339, numbers as text). */
  values: (string | null)[]
  id: string
}

interface Encoded {
  s: [SortField, SortDirection][]
  v: (string | null)[]
  id: string
}

export function encodeCursor(sort: readonly { field: SortField; direction: SortDirection }[], position: CursorPosition): string {
  const encoded: Encoded = { s: sort.map((k) => [k.field, k.direction]), v: position.values, id: position.id }
  return Buffer.from(JSON.stringify(encoded)).toString('base64url')
}

const INVALID = 'is not a cursor returned by this API (take `next` from a list response)'
/** Far above any cursor this API makes (five sort keys and an id are a few hundred characters). */
const MAX_LENGTH = 2_048

const isSortKey = (k: unknown): k is [SortField, SortDirection] =>
  Array.isArray(k) &&
  k.length === 2 &&
  typeof k[0] === 'string' &&
  Object.hasOwn(SORT_FIELDS, k[0]) &&
  (SORT_DIRECTIONS as readonly unknown[]).includes(k[1])

/** The decoded JSON if it has the cursor's shape, else undefined. */
function shapeOf(raw: string): Encoded | undefined {
  if (raw.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) return undefined
  let encoded: unknown
  try {
    encoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof encoded !== 'object' || encoded === null || Array.isArray(encoded)) return undefined
  const { s, v, id } = encoded as Record<string, unknown>
  if (!Array.isArray(s) || !s.every(isSortKey) || !Array.isArray(v) || v.length !== s.length || typeof id !== 'string') return undefined
  if (!v.every((value) => value === null || typeof value === 'string')) return undefined
  return { s, v, id }
}

export function decodeCursor(raw: string, sort: readonly { field: SortField; direction: SortDirection }[]): CursorPosition {
  const encoded = shapeOf(raw)
  if (!encoded) throw new FieldError(INVALID)
  const same = encoded.s.length === sort.length && encoded.s.every((k, i) => k[0] === sort[i]!.field && k[1] === sort[i]!.direction)
  if (!same) throw new FieldError('was made for a different sort_by; keep the same sort_by while following cursors')
  try {
    const values = encoded.v.map((value, i) => {
      const field = SORT_FIELDS[sort[i]!.field]
      if (value === null) {
        if (!field.nullable) throw new FieldError(INVALID)
        return null
      }
      return field.parse(value)
    })
    return { values, id: parseUuid(encoded.id) }
  } catch {
    throw new FieldError(INVALID)
  }
}
