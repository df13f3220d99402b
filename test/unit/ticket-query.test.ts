// parseTicketQuery on its own: the TicketQuery a raw query string becomes, and the problem
// (slug, detail, one errors[] entry per bad parameter) it raises otherwise. No HTTP.
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors/app-error.js'
import { FILTERS } from '../../src/domain/ticket-fields.js'
import { parseTicketQuery } from '../../src/domain/ticket-query.js'

const SORTABLE = 'created_at, updated_at, assigned_at, finished_at, ticket_number'
const STATES = 'prepared, pending, in_progress, outsourced, closed, cancelled'

/** The problem parseTicketQuery raises, as the fields a response is built from. */
function problem(queryString: string) {
  try {
    parseTicketQuery(queryString)
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    const { slug, status, detail, extras } = error as AppError
    return { slug, status, detail, errors: extras.errors }
  }
  throw new Error(`expected ${JSON.stringify(queryString)} to be refused`)
}

/** The problem for a single bad parameter. */
const single = (slug: string, name: string, detail: string) => ({
  slug,
  status: 400,
  detail: `Query parameter ${name} ${detail}.`,
  errors: [{ in: 'query', name, detail }],
})

const filtersOf = (queryString: string) => parseTicketQuery(queryString).filters.map((f) => [f.name, f.value])

describe('parseTicketQuery: what a valid query becomes', () => {
  it('applies the defaults to an empty query and echoes them', () => {
    expect(parseTicketQuery('')).toEqual({
      filters: [],
      sort: [{ field: 'created_at', direction: 'asc' }],
      limit: 25,
      offset: 0,
      echo: { limit: 25, offset: 0, sort_by: { created_at: 'asc' } },
    })
  })

  it('attaches each filter’s registry entry', () => {
    const [filter] = parseTicketQuery('customer_id=160c0c4b-9966-4dc1-a916-8407eb10d74e').filters
    expect(filter).toEqual({ name: 'customer_id', def: FILTERS.customer_id, value: '160c0c4b-9966-4dc1-a916-8407eb10d74e' })
  })

  it('parses every filter into its typed value', () => {
    const query = [
      'state=pending,closed&state=cancelled',
      'cancel_reason_id=1,2',
      'created_after=2023-03-15T10:34:28%2B02:00',
      'created_before=2023-03-15T10:34:28+02:00',
      'updated_after=2023-03-15T08:34:28.500Z',
      'updated_before=2023-03-15t08:34:28z',
      'finished_after=2023-01-01T00:00:00Z',
      'finished_before=2024-01-01T00:00:00-01:00',
      'customer_id=160C0C4B-9966-4DC1-A916-8407EB10D74E',
      'customer_connector_id=38442d12-3ddc-4ea7-815d-16388caccddf',
      'operator_id=fa9de6bb-1df8-4ba6-9e6d-1172fbf7e166',
      'source_provider_id=89679b1d-5eea-4ceb-8c38-aea88452dbc0',
      'external_reference=ERP%205',
      'externally_processed=false',
      'ticket_number=9223372036854775807',
      'vehicle_model_id=-3',
      'vin=JH4KA7630PC007649',
      'voucher_code=WQ4MM3',
    ].join('&')
    expect(filtersOf(query)).toEqual([
      ['state', ['pending', 'closed', 'cancelled']],
      ['cancel_reason_id', [1, 2]],
      ['created_after', '2023-03-15T08:34:28Z'],
      ['created_before', '2023-03-15T08:34:28Z'],
      ['updated_after', '2023-03-15T08:34:28.5Z'],
      ['updated_before', '2023-03-15T08:34:28Z'],
      ['finished_after', '2023-01-01T00:00:00Z'],
      ['finished_before', '2024-01-01T01:00:00Z'],
      ['customer_id', '160c0c4b-9966-4dc1-a916-8407eb10d74e'],
      ['customer_connector_id', '38442d12-3ddc-4ea7-815d-16388caccddf'],
      ['operator_id', 'fa9de6bb-1df8-4ba6-9e6d-1172fbf7e166'],
      ['source_provider_id', '89679b1d-5eea-4ceb-8c38-aea88452dbc0'],
      ['external_reference', 'ERP 5'],
      ['externally_processed', false],
      ['ticket_number', 9223372036854775807n],
      ['vehicle_model_id', -3],
      ['vin', 'JH4KA7630PC007649'],
      ['voucher_code', 'WQ4MM3'],
    ])
  })

  it('reads vin= as “no VIN” and external_reference= as the empty reference', () => {
    expect(filtersOf('vin=&external_reference=')).toEqual([
      ['vin', null],
      ['external_reference', ''],
    ])
    expect(filtersOf('vin')).toEqual([['vin', null]])
  })

  it('keeps sort keys in the order given, in sort and in the echo', () => {
    const query = parseTicketQuery('sort_by[finished_at]=desc&sort_by[ticket_number]=asc&sort_by[created_at]=desc')
    expect(query.sort).toEqual([
      { field: 'finished_at', direction: 'desc' },
      { field: 'ticket_number', direction: 'asc' },
      { field: 'created_at', direction: 'desc' },
    ])
    expect(Object.keys(query.echo.sort_by as object)).toEqual(['finished_at', 'ticket_number', 'created_at'])
  })

  it('echoes every applied parameter in parsed form, defaults included', () => {
    const query = parseTicketQuery('externally_processed=true&state=closed&cancel_reason_id=7&sort_by[updated_at]=desc&limit=0')
    expect(query.echo).toEqual({
      externally_processed: true,
      state: ['closed'],
      cancel_reason_id: [7],
      limit: 0,
      offset: 0,
      sort_by: { updated_at: 'desc' },
    })
    expect(query.limit).toBe(0)
  })

  it('accepts limit 0..1000 and an offset up to the int64 maximum, kept exact as bigint', () => {
    expect(parseTicketQuery('limit=1000&offset=0')).toMatchObject({ limit: 1000, offset: 0 })
    const huge = parseTicketQuery('offset=9223372036854775807')
    expect(huge.offset).toBe(9223372036854775807n)
    expect(huge.echo.offset).toBe(9223372036854775807n)
    expect(parseTicketQuery('offset=9007199254740991').offset).toBe(9007199254740991)
  })
})

describe('parseTicketQuery: what it refuses', () => {
  it.each([
    ['State=closed', 'State'],
    ['sort=created_at', 'sort'],
    ['provider_id=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'provider_id'],
    ['__proto__=1', '__proto__'],
    ['constructor=1', 'constructor'],
    ['=1', ''],
  ])('refuses the unknown parameter in %s with invalid-query', (queryString, name) => {
    expect(problem(queryString)).toEqual(single('invalid-query', name, 'is not a parameter of this endpoint (names are case-sensitive)'))
  })

  it.each([
    ['limit=1001', 'limit', 'must be an integer between 0 and 1000'],
    ['limit=-1', 'limit', 'must be an integer between 0 and 1000'],
    ['limit=', 'limit', 'must be an integer between 0 and 1000'],
    ['limit=1.5', 'limit', 'must be an integer between 0 and 1000'],
    ['limit=10&limit=20', 'limit', 'must be given at most once'],
    ['offset=9223372036854775808', 'offset', 'must be an integer between 0 and 9223372036854775807'],
    ['offset=1e3', 'offset', 'must be an integer between 0 and 9223372036854775807'],
  ])('refuses %s with invalid-pagination', (queryString, name, detail) => {
    expect(problem(queryString)).toEqual(single('invalid-pagination', name, detail))
  })

  it.each([
    ['sort_by=created_at', 'sort_by', `must be written as sort_by[<field>]=asc|desc, with <field> one of ${SORTABLE}`],
    ['sort_by[created_at', 'sort_by[created_at', `must be written as sort_by[<field>]=asc|desc, with <field> one of ${SORTABLE}`],
    ['sort_by[id]=asc', 'sort_by[id]', `names an unknown field; sortable fields are ${SORTABLE}`],
    ['sort_by[]=asc', 'sort_by[]', `names an unknown field; sortable fields are ${SORTABLE}`],
    ['sort_by[created_at]=ASC', 'sort_by[created_at]', 'must be asc or desc'],
    ['sort_by[created_at]=', 'sort_by[created_at]', 'must be asc or desc'],
    ['sort_by[created_at]=asc&sort_by[created_at]=desc', 'sort_by[created_at]', 'must be given at most once'],
  ])('refuses %s with invalid-sort', (queryString, name, detail) => {
    expect(problem(queryString)).toEqual(single('invalid-sort', name, detail))
  })

  it.each([
    ['state=', 'state', 'must not be empty or contain an empty element'],
    ['state=closed,', 'state', 'must not be empty or contain an empty element'],
    ['state=closed&state=', 'state', 'must not be empty or contain an empty element'],
    ['state=closed,closed', 'state', 'lists closed more than once'],
    ['state=closed&state=closed', 'state', 'lists closed more than once'],
    ['state=open', 'state', `has an element "open" that must be one of ${STATES}`],
    ['state=CLOSED', 'state', `has an element "CLOSED" that must be one of ${STATES}`],
    ['cancel_reason_id=1,01', 'cancel_reason_id', 'lists 01 more than once'],
    [
      'cancel_reason_id=2147483648',
      'cancel_reason_id',
      'has an element "2147483648" that must be an int32 between -2147483648 and 2147483647',
    ],
    ['cancel_reason_id=1.5', 'cancel_reason_id', 'has an element "1.5" that must be an int32 written as a plain decimal integer'],
    ['customer_id=nope', 'customer_id', 'must be a UUID such as 497f6eca-6276-4993-bfeb-53cbbbba6f08'],
    ['customer_id=', 'customer_id', 'must not be empty'],
    [
      'operator_id=fa9de6bb-1df8-4ba6-9e6d-1172fbf7e166&operator_id=fa9de6bb-1df8-4ba6-9e6d-1172fbf7e166',
      'operator_id',
      'must be given at most once',
    ],
    [
      'created_after=2023-03-15',
      'created_after',
      'must be an RFC 3339 date-time with seconds and a zone, e.g. 2023-03-15T08:34:28Z or 2023-03-15T10:34:28+02:00',
    ],
    ['finished_before=2023-02-30T00:00:00Z', 'finished_before', 'is not a valid calendar date (2023-02-30)'],
    ['externally_processed=1', 'externally_processed', 'must be true or false'],
    ['externally_processed=', 'externally_processed', 'must not be empty'],
    ['ticket_number=0x10', 'ticket_number', 'must be an int64 written as a plain decimal integer'],
    ['vehicle_model_id=9223372036854775808', 'vehicle_model_id', 'must be an int64 between -9223372036854775808 and 9223372036854775807'],
    ['vin=JH4KA7630PC00764', 'vin', 'must be exactly 17 characters, or empty for tickets without a VIN'],
    ['voucher_code=', 'voucher_code', 'must not be empty'],
    [`external_reference=${'x'.repeat(256)}`, 'external_reference', 'must be at most 255 characters'],
    ['external_reference=a%00b', 'external_reference', 'must not contain the NUL character'],
    ['voucher_code=%00', 'voucher_code', 'must not contain the NUL character'],
    ['state=closed&state=%00', 'state', 'must not contain the NUL character'],
  ])('refuses %s with invalid-filter', (queryString, name, detail) => {
    expect(problem(queryString)).toEqual(single('invalid-filter', name, detail))
  })

  it('counts characters, not UTF-16 units, for vin and external_reference', () => {
    expect(filtersOf(`vin=${encodeURIComponent('😀'.repeat(17))}`)).toEqual([['vin', '😀'.repeat(17)]])
    expect(filtersOf(`external_reference=${encodeURIComponent('😀'.repeat(255))}`)).toEqual([['external_reference', '😀'.repeat(255)]])
  })

  it('reports every bad parameter at once, in query order, under the shared slug', () => {
    expect(problem('state=open&limit=5&customer_id=x')).toEqual({
      slug: 'invalid-filter',
      status: 400,
      detail: '2 query parameters are invalid: state, customer_id.',
      errors: [
        { in: 'query', name: 'state', detail: `has an element "open" that must be one of ${STATES}` },
        { in: 'query', name: 'customer_id', detail: 'must be a UUID such as 497f6eca-6276-4993-bfeb-53cbbbba6f08' },
      ],
    })
  })

  it('uses invalid-query when the bad parameters are of different kinds', () => {
    expect(problem('limit=5000&stat=closed&sort_by[vin]=asc')).toEqual({
      slug: 'invalid-query',
      status: 400,
      detail: '3 query parameters are invalid: limit, stat, sort_by[vin].',
      errors: [
        { in: 'query', name: 'limit', detail: 'must be an integer between 0 and 1000' },
        { in: 'query', name: 'stat', detail: 'is not a parameter of this endpoint (names are case-sensitive)' },
        { in: 'query', name: 'sort_by[vin]', detail: `names an unknown field; sortable fields are ${SORTABLE}` },
      ],
    })
  })

  it('refuses a broken percent-encoding before looking at any parameter', () => {
    expect(problem('stat=x&external_reference=%E2%82')).toEqual({
      slug: 'invalid-query',
      status: 400,
      detail: 'The query string has a malformed percent-encoding in "external_reference".',
      errors: [{ in: 'query', name: 'external_reference', detail: 'is not valid percent-encoded UTF-8' }],
    })
  })
})
