// The scalar parsers behind every query parameter and import field: what they accept, what
// they return, and the sentence they complete ("<name> ...") when they refuse.
import { describe, expect, it } from 'vitest'
import {
  FieldError,
  instantKey,
  parseBoolean,
  parseBoundedInteger,
  parseDateTime,
  parseInt32,
  parseInt64,
  parseUuid,
} from '../../src/domain/values.js'

/** The FieldError message `parse(raw)` throws (fails the test if it returns or throws anything else). */
function refusal(parse: (raw: string) => unknown, raw: string): string {
  try {
    parse(raw)
  } catch (error) {
    expect(error).toBeInstanceOf(FieldError)
    return (error as Error).message
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be refused`)
}

const NOT_PLAIN = ['', '1.5', '1e3', '0x10', ' 5', '5 ', '+5', '-', '--1', '1_000', '١٢', 'NaN', 'Infinity', '1,2']

describe('parseInt64', () => {
  it('accepts plain decimal integers, negative ones included, as numbers', () => {
    expect(parseInt64('0')).toBe(0)
    expect(parseInt64('7179072')).toBe(7179072)
    expect(parseInt64('-42')).toBe(-42)
    expect(parseInt64('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER)
    expect(parseInt64('-9007199254740991')).toBe(Number.MIN_SAFE_INTEGER)
  })

  it('keeps values beyond 2^53 exact as bigint, up to the int64 bounds', () => {
    expect(parseInt64('9007199254740993')).toBe(9007199254740993n)
    expect(parseInt64('9223372036854775807')).toBe(9223372036854775807n)
    expect(parseInt64('-9223372036854775808')).toBe(-9223372036854775808n)
  })

  it('refuses values outside int64', () => {
    const range = 'must be an int64 between -9223372036854775808 and 9223372036854775807'
    expect(refusal(parseInt64, '9223372036854775808')).toBe(range)
    expect(refusal(parseInt64, '-9223372036854775809')).toBe(range)
    expect(refusal(parseInt64, '9'.repeat(400))).toBe(range)
  })

  it.each(NOT_PLAIN)('refuses %j: only plain decimal integers are accepted', (raw) => {
    expect(refusal(parseInt64, raw)).toBe('must be an int64 written as a plain decimal integer')
  })
})

describe('parseInt32', () => {
  it('accepts the int32 range as numbers', () => {
    expect(parseInt32('2147483647')).toBe(2147483647)
    expect(parseInt32('-2147483648')).toBe(-2147483648)
    expect(parseInt32('7')).toBe(7)
  })

  it('refuses values just outside int32', () => {
    const range = 'must be an int32 between -2147483648 and 2147483647'
    expect(refusal(parseInt32, '2147483648')).toBe(range)
    expect(refusal(parseInt32, '-2147483649')).toBe(range)
  })

  it.each(NOT_PLAIN)('refuses %j: only plain decimal integers are accepted', (raw) => {
    expect(refusal(parseInt32, raw)).toBe('must be an int32 written as a plain decimal integer')
  })
})

describe('parseBoundedInteger', () => {
  it('accepts the bounds themselves', () => {
    expect(parseBoundedInteger('0', 0n, 1000n)).toBe(0)
    expect(parseBoundedInteger('1000', 0n, 1000n)).toBe(1000)
  })

  it('returns a bigint when the value does not fit a double exactly', () => {
    expect(parseBoundedInteger('9223372036854775807', 0n, 2n ** 63n - 1n)).toBe(9223372036854775807n)
  })

  it.each(['1001', '-1', '-0', '', '1.0', '1e2', '+1', ' 1', '0x1'])('refuses %j with the bounds in the message', (raw) => {
    expect(refusal((r) => parseBoundedInteger(r, 0n, 1000n), raw)).toBe('must be an integer between 0 and 1000')
  })
})

describe('parseUuid', () => {
  it('accepts a UUID and normalises it to lower case', () => {
    expect(parseUuid('497f6eca-6276-4993-bfeb-53cbbbba6f08')).toBe('497f6eca-6276-4993-bfeb-53cbbbba6f08')
    expect(parseUuid('497F6ECA-6276-4993-BFEB-53CBBBBA6F08')).toBe('497f6eca-6276-4993-bfeb-53cbbbba6f08')
  })

  it.each([
    '',
    '497f6eca62764993bfeb53cbbbba6f08',
    '{497f6eca-6276-4993-bfeb-53cbbbba6f08}',
    '497f6eca-6276-4993-bfeb-53cbbbba6f0',
    '497f6eca-6276-4993-bfeb-53cbbbba6f08 ',
    '497f6eca-6276-4993-bfeb-53cbbbba6f0g',
  ])('refuses %j', (raw) => {
    expect(refusal(parseUuid, raw)).toBe('must be a UUID such as 497f6eca-6276-4993-bfeb-53cbbbba6f08')
  })
})

describe('parseBoolean', () => {
  it('accepts exactly true and false', () => {
    expect(parseBoolean('true')).toBe(true)
    expect(parseBoolean('false')).toBe(false)
  })

  it.each(['', 'TRUE', 'True', '1', '0', 'yes', 'false '])('refuses %j', (raw) => {
    expect(refusal(parseBoolean, raw)).toBe('must be true or false')
  })
})

describe('parseDateTime', () => {
  const FORMAT = 'must be an RFC 3339 date-time with seconds and a zone, e.g. 2023-03-15T08:34:28Z or 2023-03-15T10:34:28+02:00'

  it.each([
    ['2023-03-15T08:34:28Z', '2023-03-15T08:34:28Z'],
    ['2023-03-15t08:34:28z', '2023-03-15T08:34:28Z'],
    ['2023-03-15T10:34:28+02:00', '2023-03-15T08:34:28Z'],
    ['2023-03-15T10:34:28 02:00', '2023-03-15T08:34:28Z'],
    ['2023-03-15T08:34:28-00:00', '2023-03-15T08:34:28Z'],
    ['2023-12-31T23:30:00-01:00', '2024-01-01T00:30:00Z'],
    ['2023-01-01T00:00:00-23:59', '2023-01-01T23:59:00Z'],
    ['2023-03-15T10:34:28.50+02:00', '2023-03-15T08:34:28.5Z'],
    ['2023-03-15T08:34:28.000Z', '2023-03-15T08:34:28Z'],
    ['2023-03-15T08:34:28.123456Z', '2023-03-15T08:34:28.123456Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00Z'],
    ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00Z'],
    ['0004-02-29T00:00:00Z', '0004-02-29T00:00:00Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
    ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999999Z'],
  ])('reads %s as %s (UTC, trailing fraction zeros trimmed)', (raw, normalised) => {
    expect(parseDateTime(raw)).toBe(normalised)
  })

  it.each([
    '2023-03-15',
    '2023-03-15T08:34Z',
    '2023-03-15T08:34:28',
    '2023-03-15T08:34:28+0200',
    '2023-03-15T08:34:28+02',
    '2023-03-15 08:34:28Z',
    '2023-03-15T08:34:28.Z',
    ' 2023-03-15T08:34:28Z',
    '2023-03-15T08:34:28Z ',
    '23-03-15T08:34:28Z',
    '2023-3-15T08:34:28Z',
    '',
  ])('refuses %j: seconds and a zone with a colon are required', (raw) => {
    expect(refusal(parseDateTime, raw)).toBe(FORMAT)
  })

  it('refuses more than 6 fractional digits rather than rounding them away', () => {
    expect(refusal(parseDateTime, '2023-03-15T08:34:28.1234567Z')).toBe('must have at most 6 fractional second digits (microseconds)')
  })

  it.each([
    ['2023-13-01T00:00:00Z', '2023-13-01'],
    ['2023-00-10T00:00:00Z', '2023-00-10'],
    ['2023-02-30T00:00:00Z', '2023-02-30'],
    ['2023-04-31T00:00:00Z', '2023-04-31'],
    ['2023-01-00T00:00:00Z', '2023-01-00'],
    ['2023-02-29T00:00:00Z', '2023-02-29'],
    ['2100-02-29T00:00:00Z', '2100-02-29'],
    ['0100-02-29T00:00:00Z', '0100-02-29'],
    ['0000-01-01T00:00:00Z', '0000-01-01'],
  ])('refuses the impossible date %s', (raw, date) => {
    expect(refusal(parseDateTime, raw)).toBe(`is not a valid calendar date (${date})`)
  })

  it.each([
    ['2023-01-01T24:00:00Z', '24:00:00'],
    ['2023-01-01T23:60:00Z', '23:60:00'],
    ['2023-01-01T23:59:60Z', '23:59:60'],
  ])('refuses the impossible time %s', (raw, time) => {
    expect(refusal(parseDateTime, raw)).toBe(`is not a valid time of day (${time})`)
  })

  it.each([
    ['2023-01-01T00:00:00+24:00', '24:00'],
    ['2023-01-01T00:00:00-24:00', '24:00'],
    ['2023-01-01T00:00:00+23:60', '23:60'],
  ])('refuses the impossible offset in %s', (raw, offset) => {
    expect(refusal(parseDateTime, raw)).toBe(`has an invalid zone offset (${offset})`)
  })

  it.each(['0001-01-01T00:30:00+01:00', '9999-12-31T23:00:00-02:00'])(
    'refuses %s, whose offset shifts it outside the years 0001..9999 in UTC',
    (raw) => {
      expect(refusal(parseDateTime, raw)).toBe('must lie between the years 0001 and 9999 in UTC')
    },
  )
})

describe('instantKey', () => {
  it('pads the fraction to microseconds', () => {
    expect(instantKey('2024-07-01T12:00:00Z')).toBe('2024-07-01T12:00:00.000000')
    expect(instantKey('2024-07-01T12:00:00.5Z')).toBe('2024-07-01T12:00:00.500000')
    expect(instantKey('2024-07-01T12:00:00.123456Z')).toBe('2024-07-01T12:00:00.123456')
  })

  it('orders instants correctly where comparing the normalised strings would not', () => {
    // As plain strings ".5Z" sorts before "Z" ('.' < 'Z'): the key fixes that.
    const instants = [
      '2024-07-01T12:00:01Z',
      '2024-07-01T12:00:00.5Z',
      '2024-07-01T12:00:00Z',
      '2024-07-01T12:00:00.05Z',
      '0999-01-01T00:00:00Z',
    ]
    const sorted = [...instants].sort((a, b) => (instantKey(a) < instantKey(b) ? -1 : instantKey(a) > instantKey(b) ? 1 : 0))
    expect(sorted).toEqual([
      '0999-01-01T00:00:00Z',
      '2024-07-01T12:00:00Z',
      '2024-07-01T12:00:00.05Z',
      '2024-07-01T12:00:00.5Z',
      '2024-07-01T12:00:01Z',
    ])
  })

  it('gives equal instants equal keys whatever their original offset', () => {
    const a = parseDateTime('2023-03-15T10:34:28.500+02:00')
    const b = parseDateTime('2023-03-15T08:34:28.5Z')
    expect(instantKey(a)).toBe(instantKey(b))
  })
})
