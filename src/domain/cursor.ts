// Opaque list cursors for keyset pagination: the sort spec plus the last row's sort values and
// id, base64url-encoded JSON. A cursor is only valid with the sort it was made under, so a
// client that changes sort_by mid-walk is told so instead of silently skipping rows.
import { FieldError, parseDateTime, parseUuid } from './values.js'
import { SORT_FIELDS, type SortDirection, type SortField } from './ticket-fields.js'

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

export function decodeCursor(raw: string, sort: readonly { field: SortField; direction: SortDirection }[]): CursorPosition {
  let encoded: Encoded
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error()
    encoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Encoded
  } catch {
    throw new FieldError(INVALID)
  }
  if (!Array.isArray(encoded?.s) || !Array.isArray(encoded.v) || typeof encoded.id !== 'string' || encoded.v.length !== encoded.s.length)
    throw new FieldError(INVALID)
  const same = encoded.s.length === sort.length && encoded.s.every((k, i) => k[0] === sort[i]!.field && k[1] === sort[i]!.direction)
  if (!same) throw new FieldError('was made for a different sort_by; keep the same sort_by while following cursors')
  try {
    const values = encoded.v.map((value, i) => {
      const field = sort[i]!.field
      if (value === null) {
        if (!SORT_FIELDS[field].nullable) throw new FieldError(INVALID)
        return null
      }
      if (typeof value !== 'string') throw new FieldError(INVALID)
      if (field === 'ticket_number') {
        if (!/^-?[0-9]{1,19}$/.test(value)) throw new FieldError(INVALID)
        return value
      }
      parseDateTime(value)
      return value
    })
    return { values, id: parseUuid(encoded.id) }
  } catch {
    throw new FieldError(INVALID)
  }
}
