// Splitting a raw query string: the details generic parsers erase (order, repeats, bare
// keys, brackets) survive, and broken percent-encoding is a 400, not an exception.
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors/app-error.js'
import { queryStringOf, splitQueryString } from '../../src/domain/query-string.js'

function refusal(queryString: string): AppError {
  try {
    splitQueryString(queryString)
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error(`expected ${JSON.stringify(queryString)} to be refused`)
}

describe('splitQueryString', () => {
  it('returns nothing for an empty query string', () => {
    expect(splitQueryString('')).toEqual([])
  })

  it('keeps pairs in their original order, repeated keys included', () => {
    expect(splitQueryString('state=closed&limit=10&state=pending&sort_by[created_at]=desc')).toEqual([
      ['state', 'closed'],
      ['limit', '10'],
      ['state', 'pending'],
      ['sort_by[created_at]', 'desc'],
    ])
  })

  it('reads a key without "=" as an empty value, like "key="', () => {
    expect(splitQueryString('vin')).toEqual([['vin', '']])
    expect(splitQueryString('vin=')).toEqual([['vin', '']])
    expect(splitQueryString('vin&limit=1')).toEqual([
      ['vin', ''],
      ['limit', '1'],
    ])
  })

  it('splits at the first "=" only', () => {
    expect(splitQueryString('external_reference=a=b')).toEqual([['external_reference', 'a=b']])
  })

  it('keeps an empty name so that the parser can refuse it', () => {
    expect(splitQueryString('=x')).toEqual([['', 'x']])
  })

  it('skips empty segments', () => {
    expect(splitQueryString('&&limit=1&&')).toEqual([['limit', '1']])
  })

  it('decodes "+" as a space and %2B as a plus sign', () => {
    expect(splitQueryString('created_after=2023-03-15T10:34:28+02:00')).toEqual([['created_after', '2023-03-15T10:34:28 02:00']])
    expect(splitQueryString('created_after=2023-03-15T10:34:28%2B02:00')).toEqual([['created_after', '2023-03-15T10:34:28+02:00']])
  })

  it('percent-decodes names and values as UTF-8', () => {
    expect(splitQueryString('sort_by%5Bcreated_at%5D=asc&external_reference=%E2%82%AC%20%F0%9F%98%80')).toEqual([
      ['sort_by[created_at]', 'asc'],
      ['external_reference', '€ 😀'],
    ])
  })

  it('keeps raw brackets, commas and unicode as they are', () => {
    expect(splitQueryString('sort_by[updated_at]=desc&state=closed,cancelled&external_reference=é')).toEqual([
      ['sort_by[updated_at]', 'desc'],
      ['state', 'closed,cancelled'],
      ['external_reference', 'é'],
    ])
  })

  it.each(['%', '%z', '%zz', '%E2%82', '%C0%AF', '%FF', '%ED%A0%80'])(
    'refuses the malformed value encoding %s with invalid-query, naming the parameter',
    (encoded) => {
      const error = refusal(`limit=1&external_reference=${encoded}`)
      expect({ slug: error.slug, status: error.status, detail: error.detail, extras: error.extras }).toEqual({
        slug: 'invalid-query',
        status: 400,
        detail: 'The query string has a malformed percent-encoding in "external_reference".',
        extras: { errors: [{ in: 'query', name: 'external_reference', detail: 'is not valid percent-encoded UTF-8' }] },
      })
    },
  )

  it('refuses a malformed name encoding, showing the name as sent', () => {
    const error = refusal('stat%zze=closed')
    expect({ slug: error.slug, detail: error.detail, extras: error.extras }).toEqual({
      slug: 'invalid-query',
      detail: 'The query string has a malformed percent-encoding in "stat%zze".',
      extras: { errors: [{ in: 'query', name: 'stat%zze', detail: 'is not valid percent-encoded UTF-8' }] },
    })
  })
})

describe('queryStringOf', () => {
  it('returns the part after "?", without it', () => {
    expect(queryStringOf('/v2/tickets/tickets?state=closed&limit=5')).toBe('state=closed&limit=5')
  })

  it('returns an empty string without a query or with an empty one', () => {
    expect(queryStringOf('/v2/tickets/tickets')).toBe('')
    expect(queryStringOf('/v2/tickets/tickets?')).toBe('')
  })

  it('stops at a fragment', () => {
    expect(queryStringOf('/v2/tickets/tickets?limit=5#top')).toBe('limit=5')
  })

  it('keeps later question marks as part of the query', () => {
    expect(queryStringOf('/v2/tickets/tickets?external_reference=a?b')).toBe('external_reference=a?b')
  })
})
