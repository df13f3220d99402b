// Every 400 of GET /v2/tickets/tickets, asserted as a whole problem document: the slug in
// `code`, one errors[] entry per bad parameter (each naming it), and a detail naming them.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A, seedStore } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

const PATH = '/v2/tickets/tickets'
type Slug = 'invalid-query' | 'invalid-filter' | 'invalid-sort' | 'invalid-pagination'

/** A query string, the slug it must produce, and each bad parameter with what its detail says. */
interface Bad {
  query: string
  code: Slug
  errors: Array<[name: string, detail: RegExp]>
}
const bad = (query: string, code: Slug, name: string, detail: RegExp): Bad => ({ query, code, errors: [[name, detail]] })

const DATE_FILTERS = ['created_after', 'created_before', 'updated_after', 'updated_before', 'finished_after', 'finished_before']
const UUID_FILTERS = ['customer_id', 'customer_connector_id', 'operator_id', 'source_provider_id']
const FILTERS = [
  'state',
  'cancel_reason_id',
  ...DATE_FILTERS,
  ...UUID_FILTERS,
  'externally_processed',
  'ticket_number',
  'vehicle_model_id',
  'voucher_code',
]

const namesAndCase: Bad[] = [
  bad('colour=red', 'invalid-query', 'colour', /not a parameter/),
  bad('State=closed', 'invalid-query', 'State', /not a parameter/),
  bad('LIMIT=5', 'invalid-query', 'LIMIT', /not a parameter/),
  bad('Sort_by[created_at]=asc', 'invalid-query', 'Sort_by[created_at]', /not a parameter/),
  bad('state[]=closed', 'invalid-query', 'state[]', /not a parameter/),
  bad('ticket=1', 'invalid-query', 'ticket', /not a parameter/),
  bad('state=Closed', 'invalid-filter', 'state', /one of/),
  bad('externally_processed=TRUE', 'invalid-filter', 'externally_processed', /true or false/),
  bad('sort_by[Created_at]=asc', 'invalid-sort', 'sort_by[Created_at]', /unknown field/),
  bad('sort_by[created_at]=ASC', 'invalid-sort', 'sort_by[created_at]', /asc or desc/),
]

// `after` takes only a `next` from a list response, made under the same sort_by.
const cursors: Bad[] = [
  bad('after=', 'invalid-pagination', 'after', /must not be empty/),
  bad('after=a&after=b', 'invalid-pagination', 'after', /at most once/),
  bad('after=bm90LWEtY3Vyc29y', 'invalid-pagination', 'after', /not a cursor returned by this API/),
  bad('after=%21%21', 'invalid-pagination', 'after', /not a cursor returned by this API/),
  bad(
    `sort_by[created_at]=desc&after=${Buffer.from(JSON.stringify({ s: [['created_at', 'asc']], v: ['2024-01-01T00:00:00Z'], id: PROVIDER_A })).toString('base64url')}`,
    'invalid-pagination',
    'after',
    /different sort_by/,
  ),
]

const repeated: Bad[] = [
  bad('limit=10&limit=20', 'invalid-pagination', 'limit', /once/),
  bad('offset=0&offset=0', 'invalid-pagination', 'offset', /once/),
  bad('sort_by[created_at]=asc&sort_by[created_at]=desc', 'invalid-sort', 'sort_by[created_at]', /once/),
  bad('ticket_number=1&ticket_number=1', 'invalid-filter', 'ticket_number', /once/),
  bad(`customer_id=${PROVIDER_A}&customer_id=${PROVIDER_A}`, 'invalid-filter', 'customer_id', /once/),
  bad('created_after=2024-01-01T00:00:00Z&created_after=2024-01-02T00:00:00Z', 'invalid-filter', 'created_after', /once/),
  bad('vin=&vin=', 'invalid-filter', 'vin', /once/),
  bad('external_reference=a&external_reference=b', 'invalid-filter', 'external_reference', /once/),
]

const sorts: Bad[] = [
  bad('sort_by=created_at', 'invalid-sort', 'sort_by', /sort_by\[<field>\]/),
  bad('sort_by=asc', 'invalid-sort', 'sort_by', /sort_by\[<field>\]/),
  bad('sort_by[created_at][0]=asc', 'invalid-sort', 'sort_by[created_at][0]', /sort_by\[<field>\]/),
  bad('sort_by[]=asc', 'invalid-sort', 'sort_by[]', /unknown field/),
  bad('sort_by[nope]=asc', 'invalid-sort', 'sort_by[nope]', /unknown field/),
  bad('sort_by[id]=asc', 'invalid-sort', 'sort_by[id]', /unknown field/),
  bad('sort_by[vin]=desc', 'invalid-sort', 'sort_by[vin]', /unknown field/),
  bad('sort_by[id;drop%20table%20tickets]=asc', 'invalid-sort', 'sort_by[id;drop table tickets]', /unknown field/),
  bad('sort_by%5Bcreated_at)%20desc%3B--%5D=asc', 'invalid-sort', 'sort_by[created_at) desc;--]', /unknown field/),
  bad('sort_by[created_at]=up', 'invalid-sort', 'sort_by[created_at]', /asc or desc/),
  bad('sort_by[created_at]=asc%3B%20drop%20table%20tickets', 'invalid-sort', 'sort_by[created_at]', /asc or desc/),
]

const empties: Bad[] = [
  ...FILTERS.map((name) => bad(`${name}=`, 'invalid-filter', name, /empty/)),
  bad('state', 'invalid-filter', 'state', /empty/),
  bad('limit=', 'invalid-pagination', 'limit', /integer/),
  bad('offset', 'invalid-pagination', 'offset', /integer/),
  bad('sort_by[created_at]=', 'invalid-sort', 'sort_by[created_at]', /asc or desc/),
]

const lists: Bad[] = [
  ...['state=closed,', 'state=,closed', 'state=closed,,pending', 'state=closed&state=', 'cancel_reason_id=1,'].map((query) =>
    bad(query, 'invalid-filter', query.slice(0, query.indexOf('=')), /empty element/),
  ),
  ...['state=closed,closed', 'state=closed&state=closed', 'state=pending,closed&state=pending', 'cancel_reason_id=3,3'].map((query) =>
    bad(query, 'invalid-filter', query.slice(0, query.indexOf('=')), /more than once/),
  ),
  bad('state=open', 'invalid-filter', 'state', /one of prepared, pending, in_progress, outsourced, closed, cancelled/),
  bad('state=closed,open', 'invalid-filter', 'state', /"open"/),
  bad('cancel_reason_id=2147483648', 'invalid-filter', 'cancel_reason_id', /int32/),
  bad('cancel_reason_id=-2147483649', 'invalid-filter', 'cancel_reason_id', /int32/),
  bad('cancel_reason_id=1,abc', 'invalid-filter', 'cancel_reason_id', /int32/),
]

const INTEGER_PARAMS: Array<[name: string, code: Slug, detail: RegExp]> = [
  ['limit', 'invalid-pagination', /integer/],
  ['offset', 'invalid-pagination', /integer/],
  ['ticket_number', 'invalid-filter', /int64/],
  ['vehicle_model_id', 'invalid-filter', /int64/],
  ['cancel_reason_id', 'invalid-filter', /int32/],
]
// `+5` sent unencoded arrives as " 5"; %2B5 is a literal "+5". Neither is a plain decimal.
const NOT_PLAIN = ['1.5', '1e3', '0x10', '%205', '5%20', '+5', '%2B5', '1_000', '%D9%A3']
const integers: Bad[] = [
  ...INTEGER_PARAMS.flatMap(([name, code, detail]) => NOT_PLAIN.map((value) => bad(`${name}=${value}`, code, name, detail))),
  bad('limit=1001', 'invalid-pagination', 'limit', /0 and 1000/),
  bad('limit=-1', 'invalid-pagination', 'limit', /0 and 1000/),
  bad('offset=-1', 'invalid-pagination', 'offset', /integer/),
  bad('offset=9223372036854775808', 'invalid-pagination', 'offset', /9223372036854775807/),
  bad('ticket_number=9223372036854775808', 'invalid-filter', 'ticket_number', /int64/),
  bad('vehicle_model_id=-9223372036854775809', 'invalid-filter', 'vehicle_model_id', /int64/),
]

const BAD_DATES: Array<[value: string, detail: RegExp]> = [
  ['2024-03-01', /RFC 3339/], // no time
  ['2024-03-01T10:00:00', /RFC 3339/], // no zone
  ['2024-03-01T10:00Z', /RFC 3339/], // no seconds
  ['2024-03-01T10:00:00%2B0200', /RFC 3339/], // zone without colon
  ['2024-03-01T10:00:00+0200', /RFC 3339/], // the same with an unencoded '+'
  ['2024-03-01T10:00:00%2B02', /RFC 3339/],
  ['1709287200', /RFC 3339/],
  ['yesterday', /RFC 3339/],
  ['2024-13-01T10:00:00Z', /date/], // month 13
  ['2024-02-30T10:00:00Z', /date/], // Feb 30
  ['2023-02-29T10:00:00Z', /date/], // Feb 29 of a non-leap year
  ['2024-03-01T24:00:00Z', /time/],
]
const dates: Bad[] = DATE_FILTERS.flatMap((name) =>
  BAD_DATES.map(([value, detail]) => bad(`${name}=${value}`, 'invalid-filter', name, detail)),
)

const MALFORMED_UUIDS = [
  'not-a-uuid',
  '497f6eca-6276-4993-bfeb-53cbbbba6f0',
  '497f6eca-6276-4993-bfeb-53cbbbba6f088',
  '497f6eca62764993bfeb53cbbbba6f08',
  '%7B497f6eca-6276-4993-bfeb-53cbbbba6f08%7D',
  '497f6eca-6276-4993-bfeb-53cbbbba6f0g',
  '497f6eca-6276-4993-bfeb-53cbbbba6f08%20',
]
const values: Bad[] = [
  ...UUID_FILTERS.flatMap((name) => MALFORMED_UUIDS.map((value) => bad(`${name}=${value}`, 'invalid-filter', name, /UUID/))),
  bad('vin=JH4KA7630PC00764', 'invalid-filter', 'vin', /17 characters/),
  bad('vin=JH4KA7630PC0076499', 'invalid-filter', 'vin', /17 characters/),
  bad('voucher_code=', 'invalid-filter', 'voucher_code', /empty/),
  bad(`external_reference=${'x'.repeat(256)}`, 'invalid-filter', 'external_reference', /255/),
  ...['1', 'yes', 'True', '%20true'].map((value) =>
    bad(`externally_processed=${value}`, 'invalid-filter', 'externally_processed', /true or false/),
  ),
]

const encodings: Bad[] = [
  bad('state=%zz', 'invalid-query', 'state', /percent-encoded/),
  bad('%zz=1', 'invalid-query', '%zz', /percent-encoded/),
  bad('vin=%E0%A4%A', 'invalid-query', 'vin', /percent-encoded/),
  bad('customer_id=%FF', 'invalid-query', 'customer_id', /percent-encoded/),
  bad('created_after=2024-01-01T00:00:00%', 'invalid-query', 'created_after', /percent-encoded/),
]

const several: Bad[] = [
  {
    query: 'limit=1001&state=bogus&sort_by[nope]=asc&colour=red',
    code: 'invalid-query',
    errors: [
      ['limit', /1000/],
      ['state', /"bogus"/],
      ['sort_by[nope]', /unknown field/],
      ['colour', /not a parameter/],
    ],
  },
  {
    query: 'state=bogus&vin=short&customer_id=x',
    code: 'invalid-filter',
    errors: [
      ['state', /one of/],
      ['vin', /17/],
      ['customer_id', /UUID/],
    ],
  },
  {
    query: 'limit=-1&offset=x',
    code: 'invalid-pagination',
    errors: [
      ['limit', /integer/],
      ['offset', /integer/],
    ],
  },
  {
    query: 'sort_by=x&sort_by[y]=asc',
    code: 'invalid-sort',
    errors: [
      ['sort_by', /sort_by\[<field>\]/],
      ['sort_by[y]', /unknown field/],
    ],
  },
  { query: 'colour=red&colour=blue&limit=5', code: 'invalid-query', errors: [['colour', /not a parameter/]] },
  {
    query: 'limit=1&limit=2&created_before=2024-02-30T00:00:00Z',
    code: 'invalid-query',
    errors: [
      ['limit', /once/],
      ['created_before', /date/],
    ],
  },
]

describeEachStore(
  'GET /v2/tickets/tickets: invalid queries',
  (ctx) => {
    let app: FastifyInstance
    let token: string
    const get = (query: string) => app.inject({ method: 'GET', url: `${PATH}?${query}`, headers: bearer(token) })

    beforeAll(async () => {
      app = await createTestApp(ctx.store)
      token = await tokenFor(app, ctx.store, PROVIDER_A)
    })
    afterAll(async () => {
      await app.close()
    })

    describe.each([
      ['unknown and case-sensitive names', namesAndCase],
      ['a single-valued parameter given twice', repeated],
      ['cursors', cursors],
      ['sort_by', sorts],
      ['empty values', empties],
      ['list elements', lists],
      ['integers', integers],
      ['date-times', dates],
      ['UUIDs and strings', values],
      ['percent-encoding', encodings],
      ['several bad parameters at once', several],
    ])('%s', (_group, rows) => {
      it.each(rows)('rejects ?$query with $code', async ({ query, code, errors }) => {
        const response = await get(query)
        expect(response.statusCode, response.body).toBe(400)
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
        const body = response.json()
        expect(body).toStrictEqual({
          type: 'about:blank',
          title: 'Bad Request',
          status: 400,
          detail: expect.any(String),
          code,
          errors: errors.map(([name, detail]) => ({ in: 'query', name, detail: expect.stringMatching(detail) })),
        })
        for (const [name] of errors) expect(body.detail).toContain(name)
      })
    })

    it('says exactly what is wrong with an unknown parameter', async () => {
      const response = await get('colour=red')
      expect(response.json()).toStrictEqual({
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'Query parameter colour is not a parameter of this endpoint (names are case-sensitive).',
        code: 'invalid-query',
        errors: [{ in: 'query', name: 'colour', detail: 'is not a parameter of this endpoint (names are case-sensitive)' }],
      })
    })

    it.each(DATE_FILTERS)('accepts Feb 29 of a leap year in %s', async (name) => {
      const response = await get(`${name}=2024-02-29T10:00:00Z&limit=0`)
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json().query[name]).toBe('2024-02-29T10:00:00Z')
    })

    it('accepts the boundary values next to the rejected ones', async () => {
      for (const query of [
        'limit=1000',
        'limit=0',
        'offset=9223372036854775807',
        'cancel_reason_id=2147483647,-2147483648',
        'ticket_number=-9223372036854775808',
        `external_reference=${'x'.repeat(255)}`,
      ]) {
        expect((await get(query)).statusCode, query).toBe(200)
      }
    })

    // PostgreSQL text cannot hold a NUL: either a 400 naming the parameter or an empty page
    // honours "no input produces a 500"; this accepts both.
    it.each([
      ['external_reference', '%00'],
      ['voucher_code', 'A%00B'],
      ['vin', '%00'.repeat(17)],
    ])('answers a NUL character in %s without a 500', async (name, value) => {
      const response = await get(`${name}=${value}`)
      if (response.statusCode === 200) expect(response.json()).toMatchObject({ result: [], total: 0 })
      else
        expect(response.json()).toStrictEqual({
          type: 'about:blank',
          title: 'Bad Request',
          status: 400,
          detail: expect.stringContaining(name),
          code: 'invalid-filter',
          errors: [{ in: 'query', name, detail: expect.any(String) }],
        })
    })

    it('decodes percent-encoded names and values before validating them', async () => {
      const response = await get('st%61te=clo%73ed&sort_by%5Bcreated_at%5D=desc&limit=0')
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json().query).toMatchObject({ state: ['closed'], sort_by: { created_at: 'desc' } })
    })
  },
  seedStore,
)
