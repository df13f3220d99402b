// Strict parsers for the scalar formats of the wire contract. Each returns the parsed value
// or throws a FieldError whose message completes the sentence "<name> ...".
export class FieldError extends Error {}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const INT32_MIN = -(2n ** 31n)
const INT32_MAX = 2n ** 31n - 1n

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const DECIMAL = /^-?[0-9]+$/

/** A bigint that fits a double exactly becomes a number; larger ones stay bigint. */
export function toSafeInteger(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}

function parseDecimal(raw: string, min: bigint, max: bigint, what: string): bigint {
  if (!DECIMAL.test(raw)) throw new FieldError(`must be ${what} written as a plain decimal integer`)
  const value = BigInt(raw)
  if (value < min || value > max) throw new FieldError(`must be ${what} between ${min} and ${max}`)
  return value
}

export function parseInt64(raw: string): number | bigint {
  return toSafeInteger(parseDecimal(raw, INT64_MIN, INT64_MAX, 'an int64'))
}

export function parseInt32(raw: string): number {
  return Number(parseDecimal(raw, INT32_MIN, INT32_MAX, 'an int32'))
}

export function parseBoundedInteger(raw: string, min: bigint, max: bigint): number | bigint {
  if (!/^[0-9]+$/.test(raw)) throw new FieldError(`must be an integer between ${min} and ${max}`)
  const value = BigInt(raw)
  if (value < min || value > max) throw new FieldError(`must be an integer between ${min} and ${max}`)
  return toSafeInteger(value)
}

export function parseUuid(raw: string): string {
  if (!UUID.test(raw)) throw new FieldError('must be a UUID such as 497f6eca-6276-4993-bfeb-53cbbbba6f08')
  return raw.toLowerCase()
}

export function parseBoolean(raw: string): boolean {
  if (raw === 'true') return true
  if (raw === 'false') return false
  throw new FieldError('must be true or false')
}

// RFC 3339 date-time. The offset sign may arrive as a space: an unencoded `+` in a query
// string decodes to one, and rejecting it would punish the most common client mistake.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+\- ])(\d{2}):(\d{2}))$/
const DATE_TIME_HINT = 'must be an RFC 3339 date-time with seconds and a zone, e.g. 2023-03-15T08:34:28Z or 2023-03-15T10:34:28+02:00'

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/**
 * Parses an RFC 3339 date-time and returns it normalised to UTC, e.g.
 * `2023-03-15T10:34:28.50+02:00` → `2023-03-15T08:34:28.5Z`. The stores keep microseconds,
 * so more than six fractional digits would be silently rounded: they are refused instead.
 */
export function parseDateTime(raw: string): string {
  const m = DATE_TIME.exec(raw)
  if (!m) throw new FieldError(DATE_TIME_HINT)
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const fraction = m[7] ?? ''
  if (fraction.length > 6) throw new FieldError('must have at most 6 fractional second digits (microseconds)')
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    throw new FieldError(`is not a valid calendar date (${m[1]}-${m[2]}-${m[3]})`)
  if (hour > 23 || minute > 59 || second > 59) throw new FieldError(`is not a valid time of day (${m[4]}:${m[5]}:${m[6]})`)
  let offsetMinutes = 0
  if (!m[8]) {
    const offsetHours = Number(m[10])
    const offsetMins = Number(m[11])
    if (offsetHours > 23 || offsetMins > 59) throw new FieldError(`has an invalid zone offset (${m[10]}:${m[11]})`)
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins)
  }
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute - offsetMinutes, second, 0)
  const utcYear = date.getUTCFullYear()
  if (utcYear < 1 || utcYear > 9999) throw new FieldError('must lie between the years 0001 and 9999 in UTC')
  const trimmed = fraction.replace(/0+$/, '')
  return (
    `${pad(utcYear, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}` +
    `${trimmed ? `.${trimmed}` : ''}Z`
  )
}

/**
 * A sortable key for a normalised UTC date-time (as parseDateTime returns): the fraction is
 * padded to microseconds, so plain string comparison orders instants correctly.
 */
export function instantKey(normalized: string): string {
  const fraction = normalized.length > 20 ? normalized.slice(20, -1) : ''
  return `${normalized.slice(0, 19)}.${fraction.padEnd(6, '0')}`
}
