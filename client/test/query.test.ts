// encodeListQuery: the exact query strings the API reads. Pure; the list tests check that the
// server agrees with them.
import { describe, expect, it } from 'vitest'
import { encodeListQuery } from '../src/index.js'

describe('encodeListQuery', () => {
  it('writes lists as comma-separated values', () => {
    expect(encodeListQuery({ state: ['closed', 'cancelled'], cancel_reason_id: [1, 2] })).toBe(
      'state=closed,cancelled&cancel_reason_id=1,2',
    )
  })

  it('accepts a single value where a list is allowed', () => {
    expect(encodeListQuery({ state: 'closed' })).toBe('state=closed')
  })

  it('writes sort_by keys in the order given, from an object or from pairs', () => {
    expect(encodeListQuery({ sort_by: { finished_at: 'desc', created_at: 'asc' } })).toBe(
      'sort_by[finished_at]=desc&sort_by[created_at]=asc',
    )
    expect(
      encodeListQuery({
        sort_by: [
          ['ticket_number', 'desc'],
          ['updated_at', 'asc'],
        ],
      }),
    ).toBe('sort_by[ticket_number]=desc&sort_by[updated_at]=asc')
  })

  it('sends a Date as its ISO string and a string date unchanged, with + percent-encoded', () => {
    expect(encodeListQuery({ created_after: new Date('2024-03-01T10:00:00Z'), created_before: '2024-03-02T10:00:00+02:00' })).toBe(
      'created_after=2024-03-01T10%3A00%3A00.000Z&created_before=2024-03-02T10%3A00%3A00%2B02%3A00',
    )
  })

  it('writes vin: null as an empty vin (tickets without a VIN)', () => {
    expect(encodeListQuery({ vin: null, state: 'prepared' })).toBe('vin=&state=prepared')
  })

  it('writes booleans, numbers and bigints as plain values', () => {
    expect(encodeListQuery({ externally_processed: false, ticket_number: 2n ** 60n, limit: 10, offset: 0 })).toBe(
      'externally_processed=false&ticket_number=1152921504606846976&limit=10&offset=0',
    )
  })

  it('leaves out undefined parameters and percent-encodes values', () => {
    expect(encodeListQuery({ voucher_code: 'A&B=C', customer_id: undefined, external_reference: 'INV 1/2' })).toBe(
      'voucher_code=A%26B%3DC&external_reference=INV%201%2F2',
    )
  })

  it('refuses an empty list, an invalid Date and a non-finite number rather than guessing', () => {
    expect(() => encodeListQuery({ state: [] })).toThrow('state: an empty list matches nothing; leave the parameter out to match all')
    expect(() => encodeListQuery({ created_after: new Date('nope') })).toThrow('created_after: the Date is invalid')
    expect(() => encodeListQuery({ limit: Number.NaN })).toThrow('limit: NaN is not a finite number')
  })
})
