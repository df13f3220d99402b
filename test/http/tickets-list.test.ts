// GET /v2/tickets/tickets over HTTP: every row of issue 2's parameter table, the `query`
// echo and tenancy. Expected pages come from the fixtures, ordered by the in-memory model.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Ticket } from '../../src/contract/ticket.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { CUSTOMER_X, EDGE_TICKETS, OPERATOR_Y, PROVIDER_A, PROVIDER_B, PROVIDER_C, seedStore, ticketsOf } from '../support/fixtures.js'
import { instant, sortTickets, toUtc, type SortField, type SortKeys } from '../support/list-model.js'
import { describeEachStore } from '../support/stores.js'

const PATH = '/v2/tickets/tickets'
const A = ticketsOf(PROVIDER_A)
const B = ticketsOf(PROVIDER_B)
const FIELDS: SortField[] = ['created_at', 'updated_at', 'assigned_at', 'finished_at', 'ticket_number']
const numbers = (tickets: readonly Ticket[]) => tickets.map((t) => t.ticket_number)
/** A's tickets matching `predicate`, in the default order (created_at, then id). */
const where = (predicate: (t: Ticket) => boolean, keys?: SortKeys) => sortTickets(A.filter(predicate), keys)
type Timestamp = 'created_at' | 'updated_at' | 'finished_at'
const TIMESTAMPS = ['assigned_at', 'created_at', 'finished_at', 'updated_at'] as const
/** Strictly after / before, compared as instants (microseconds). */
const after = (field: Timestamp, bound: string) => (t: Ticket) => t[field] !== null && instant(t[field]!) > instant(bound)
const before = (field: Timestamp, bound: string) => (t: Ticket) => t[field] !== null && instant(t[field]!) < instant(bound)
const byId = (tickets: Ticket[]) => [...tickets].sort((a, b) => (a.id < b.id ? -1 : 1))
// A generated ticket with an operator and a connector, so that filtering by them selects something.
const sample = A.find((t) => t.operator_id !== null && t.customer_connector_id !== null)!
// One insourced from another provider (its source_provider_id is not the owner).
const insourced = A.find((t) => t.source_provider_id !== PROVIDER_A)!

/** A query string and every ticket of A it matches, in order; the page is offset/limit of that. */
interface Row {
  query: string
  matching: Ticket[]
  offset?: number
  limit?: number
}

const filterRows: Row[] = [
  { query: 'state=closed', matching: where((t) => t.state === 'closed') },
  { query: 'state=pending,cancelled', matching: where((t) => ['pending', 'cancelled'].includes(t.state)) },
  { query: 'state=pending&state=cancelled', matching: where((t) => ['pending', 'cancelled'].includes(t.state)) },
  { query: 'state=pending,cancelled&state=prepared', matching: where((t) => ['pending', 'cancelled', 'prepared'].includes(t.state)) },
  { query: 'state=prepared,pending,in_progress,outsourced,closed,cancelled', matching: where(() => true) },
  { query: 'cancel_reason_id=7', matching: where((t) => t.cancel_reason_id === 7) },
  { query: 'cancel_reason_id=1,4', matching: where((t) => [1, 4].includes(t.cancel_reason_id!)) },
  { query: 'cancel_reason_id=1&cancel_reason_id=4', matching: where((t) => [1, 4].includes(t.cancel_reason_id!)) },
  { query: 'cancel_reason_id=1,4&cancel_reason_id=7', matching: where((t) => [1, 4, 7].includes(t.cancel_reason_id!)) },
  { query: 'cancel_reason_id=2147483647&cancel_reason_id=-2147483648', matching: [] },
  { query: 'state=closed&cancel_reason_id=1', matching: [] },
  // Strictly after / before: the three tickets created at exactly 05:05:05Z are excluded.
  { query: 'created_after=2024-05-05T05:05:05Z', matching: where(after('created_at', '2024-05-05T05:05:05Z')) },
  { query: 'created_before=2024-05-05T05:05:05Z', matching: [] },
  { query: 'created_before=2024-05-05T05:05:05.000001Z', matching: where((t) => t.created_at === '2024-05-05T05:05:05Z') },
  { query: 'created_after=2024-05-05T07:05:05%2B02:00', matching: where(after('created_at', '2024-05-05T05:05:05Z')) },
  { query: 'created_before=2024-05-05T07:05:05.000001%2B02:00', matching: where((t) => t.created_at === '2024-05-05T05:05:05Z') },
  // An unencoded '+' arrives as a space before the offset; it still means +02:00.
  { query: 'created_before=2024-05-05T07:05:05.000001+02:00', matching: where((t) => t.created_at === '2024-05-05T05:05:05Z') },
  { query: 'created_before=2024-05-05T01:35:05.000001-03:30', matching: where((t) => t.created_at === '2024-05-05T05:05:05Z') },
  { query: 'created_after=2024-07-01T12:00:00.123455Z&created_before=2024-07-01T12:00:00.123457Z', matching: [EDGE_TICKETS[4]!] },
  { query: 'created_after=2024-07-01T12:00:00.123456Z&created_before=2024-07-01T12:00:01Z', matching: [] },
  {
    query: 'created_after=2025-01-01T00:00:00Z&created_before=2025-07-01T00:00:00Z',
    matching: where((t) => after('created_at', '2025-01-01T00:00:00Z')(t) && before('created_at', '2025-07-01T00:00:00Z')(t)),
  },
  { query: 'updated_after=2026-01-01T00:00:00Z', matching: where(after('updated_at', '2026-01-01T00:00:00Z')) },
  { query: 'updated_before=2024-05-05T06:00:00Z', matching: [] },
  { query: 'updated_before=2024-05-05T06:00:00.000001Z', matching: where((t) => t.updated_at === '2024-05-05T06:00:00Z') },
  { query: 'updated_after=2024-07-02T12:00:00.499999Z&updated_before=2024-07-02T12:00:00.500001Z', matching: [EDGE_TICKETS[4]!] },
  // Unfinished tickets (finished_at null) never match a finished_* filter, however wide.
  { query: 'finished_after=0001-01-01T00:00:00Z', matching: where((t) => t.finished_at !== null) },
  { query: 'finished_before=9999-12-31T23:59:59.999999Z', matching: where((t) => t.finished_at !== null) },
  { query: 'finished_before=2024-05-05T06:00:00Z', matching: [] },
  {
    query: 'finished_after=2024-05-05T06:00:00Z&finished_before=2024-08-01T01:00:00.000001Z',
    matching: [EDGE_TICKETS[4]!, EDGE_TICKETS[5]!],
  },
  { query: `customer_id=${CUSTOMER_X}`, matching: where((t) => t.customer_id === CUSTOMER_X) },
  { query: `customer_id=${CUSTOMER_X.toUpperCase()}`, matching: where((t) => t.customer_id === CUSTOMER_X) },
  {
    query: `customer_connector_id=${sample.customer_connector_id}`,
    matching: where((t) => t.customer_connector_id === sample.customer_connector_id),
  },
  { query: `operator_id=${OPERATOR_Y}`, matching: where((t) => t.operator_id === OPERATOR_Y) },
  { query: `operator_id=${sample.operator_id}`, matching: where((t) => t.operator_id === sample.operator_id) },
  { query: `source_provider_id=${PROVIDER_B}`, matching: [EDGE_TICKETS[7]!] },
  {
    query: `source_provider_id=${insourced.source_provider_id}`,
    matching: where((t) => t.source_provider_id === insourced.source_provider_id),
  },
  { query: 'customer_id=deadbeef-0000-4000-8000-000000000000', matching: [] },
  { query: 'external_reference=ERP-5', matching: [EDGE_TICKETS[4]!] },
  { query: 'external_reference=erp-5', matching: [] },
  { query: 'external_reference=', matching: where((t) => t.external_reference === '') },
  { query: 'externally_processed=true', matching: where((t) => t.externally_processed) },
  { query: 'externally_processed=false', matching: where((t) => !t.externally_processed) },
  { query: 'ticket_number=9000004', matching: [EDGE_TICKETS[3]!] },
  { query: `ticket_number=${B[0]!.ticket_number}`, matching: [] },
  { query: 'ticket_number=-9000004', matching: [] },
  { query: 'ticket_number=9223372036854775807', matching: [] },
  { query: 'vehicle_model_id=42', matching: where((t) => t.vehicle_model_id === 42) },
  { query: 'vehicle_model_id=457', matching: where((t) => t.vehicle_model_id === 457) },
  { query: 'vehicle_model_id=-42', matching: [] },
  { query: 'vehicle_model_id=-9223372036854775808', matching: [] },
  { query: 'vin=JH4KA7630PC007649', matching: where((t) => t.vin === 'JH4KA7630PC007649') },
  { query: 'vin=jh4ka7630pc007649', matching: [] },
  { query: 'vin=', matching: where((t) => t.vin === null) },
  { query: 'voucher_code=WQ4MM3', matching: where((t) => t.voucher_code === 'WQ4MM3') },
  { query: 'voucher_code=ZZZ1', matching: [EDGE_TICKETS[4]!] },
  { query: 'state=closed&externally_processed=true&vehicle_model_id=42', matching: [EDGE_TICKETS[4]!] },
  {
    query: `state=closed,cancelled&customer_id=${CUSTOMER_X}&vin=JH4KA7630PC007649&voucher_code=WQ4MM3`,
    matching: where((t) => ['closed', 'cancelled'].includes(t.state) && t.customer_id === CUSTOMER_X && t.voucher_code === 'WQ4MM3'),
  },
]

const all = where(() => true)
const pageRows: Row[] = [
  { query: '', matching: all },
  { query: 'limit=0', matching: all, limit: 0 },
  { query: 'limit=1', matching: all, limit: 1 },
  { query: 'limit=1000', matching: all, limit: 1000 },
  { query: 'state=closed&limit=0', matching: where((t) => t.state === 'closed'), limit: 0 },
  { query: 'offset=10&limit=5', matching: all, offset: 10, limit: 5 },
  { query: `offset=${A.length - 1}`, matching: all, offset: A.length - 1 },
  { query: `offset=${A.length}`, matching: all, offset: A.length },
  { query: 'offset=1000&limit=1000', matching: all, offset: 1000, limit: 1000 },
  { query: 'offset=9223372036854775807', matching: all, offset: Number.MAX_SAFE_INTEGER },
]

const sortRows: Row[] = FIELDS.flatMap((field) =>
  (['asc', 'desc'] as const).map((direction) => ({
    query: `sort_by[${field}]=${direction}&limit=1000`,
    matching: where(() => true, [[field, direction]]),
    limit: 1000,
  })),
)
sortRows.push(
  {
    query: 'sort_by[updated_at]=asc&sort_by[created_at]=desc&limit=1000',
    matching: where(
      () => true,
      [
        ['updated_at', 'asc'],
        ['created_at', 'desc'],
      ],
    ),
    limit: 1000,
  },
  {
    query: 'sort_by[finished_at]=desc&sort_by[assigned_at]=asc&sort_by[ticket_number]=desc&limit=1000',
    matching: where(
      () => true,
      [
        ['finished_at', 'desc'],
        ['assigned_at', 'asc'],
        ['ticket_number', 'desc'],
      ],
    ),
    limit: 1000,
  },
)

describeEachStore(
  'GET /v2/tickets/tickets',
  (ctx) => {
    let app: FastifyInstance
    const tokens: Record<string, string> = {}
    const list = async (query: string, provider = PROVIDER_A) => {
      const response = await app.inject({ method: 'GET', url: `${PATH}?${query}`, headers: bearer(tokens[provider]!) })
      expect(response.statusCode, response.body).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      return { body: response.json() as { query: Record<string, unknown>; result: Ticket[]; total: number }, raw: response.body }
    }

    beforeAll(async () => {
      app = await createTestApp(ctx.store)
      for (const provider of [PROVIDER_A, PROVIDER_B, PROVIDER_C]) tokens[provider] = await tokenFor(app, ctx.store, provider)
    })
    afterAll(async () => {
      await app.close()
    })

    describe.each([
      ['filters', filterRows],
      ['limit and offset', pageRows],
      ['sort_by', sortRows],
    ])('%s', (_name, rows) => {
      it.each(rows)('?$query returns the matching page and the exact total', async ({ query, matching, offset = 0, limit = 25 }) => {
        const { body } = await list(query)
        expect(numbers(body.result)).toEqual(numbers(matching.slice(offset, offset + limit)))
        expect(body.total).toBe(matching.length)
      })
    })

    it('returns whole tickets exactly as imported', async () => {
      const { body } = await list('external_reference=ERP-5')
      expect(body.result).toEqual([EDGE_TICKETS[4]])
      // Same instants; the wire form drops trailing fraction zeros (".180Z" → ".18Z").
      const wire = (t: Ticket) => ({ ...t, ...Object.fromEntries(TIMESTAMPS.map((f) => [f, t[f] === null ? null : toUtc(t[f]!)])) })
      expect((await list('limit=1000')).body.result).toEqual(all.map(wire))
    })

    it('breaks ties by id ascending, whatever the direction of the sort key', async () => {
      // 9000001..3 and 9000005 share assigned_at; their ids ascend in that order.
      const tied = [9000001, 9000002, 9000003, 9000005]
      expect(numbers((await list('sort_by[assigned_at]=asc&limit=4')).body.result)).toEqual(tied)
      const desc = numbers((await list('sort_by[assigned_at]=desc&limit=1000')).body.result)
      expect(desc.slice(desc.indexOf(9000001), desc.indexOf(9000001) + 4)).toEqual(tied)
      expect(numbers((await list('created_before=2024-05-05T05:05:06Z&sort_by[created_at]=desc')).body.result)).toEqual([
        9000001, 9000002, 9000003,
      ])
    })

    it('applies several sort keys in the order given', async () => {
      const first = (await list('sort_by[assigned_at]=asc&sort_by[ticket_number]=desc&limit=4')).body.result
      expect(numbers(first)).toEqual([9000005, 9000003, 9000002, 9000001])
      const swapped = (await list('sort_by[ticket_number]=desc&sort_by[assigned_at]=asc&limit=3')).body.result
      expect(numbers(swapped)).toEqual([9000008, 9000007, 9000006])
    })

    it.each(['asc', 'desc'])('sorts nulls last when %s, the null rows ordered by id', async (direction) => {
      for (const field of ['finished_at', 'assigned_at'] as const) {
        const { body } = await list(`sort_by[${field}]=${direction}&limit=1000`)
        const nulls = byId(A.filter((t) => t[field] === null))
        expect(numbers(body.result.slice(-nulls.length))).toEqual(numbers(nulls))
        expect(body.result.slice(0, -nulls.length).every((t) => t[field] !== null)).toBe(true)
      }
    })

    it('pages through a sort with ties without skipping or repeating a ticket', async () => {
      const pages: Ticket[] = []
      for (let offset = 0; offset < A.length; offset += 3)
        pages.push(...(await list(`sort_by[assigned_at]=desc&limit=3&offset=${offset}`)).body.result)
      expect(numbers(pages)).toEqual(numbers(where(() => true, [['assigned_at', 'desc']])))
    })

    describe('the query echo', () => {
      it('holds the defaults when nothing is given', async () => {
        expect((await list('')).body.query).toStrictEqual({ limit: 25, offset: 0, sort_by: { created_at: 'asc' } })
      })

      it('echoes lists as arrays, integers as numbers and booleans as booleans', async () => {
        const { body } = await list(
          'state=closed,pending&state=prepared&cancel_reason_id=1,2&ticket_number=5&vehicle_model_id=-3&externally_processed=false&limit=0&offset=3',
        )
        expect(body.query).toStrictEqual({
          state: ['closed', 'pending', 'prepared'],
          cancel_reason_id: [1, 2],
          ticket_number: 5,
          vehicle_model_id: -3,
          externally_processed: false,
          limit: 0,
          offset: 3,
          sort_by: { created_at: 'asc' },
        })
      })

      it('echoes vin= as null and external_reference= as the empty string', async () => {
        expect((await list('vin=&external_reference=')).body.query).toMatchObject({ vin: null, external_reference: '' })
        expect((await list('vin=JH4KA7630PC007649&voucher_code=WQ4MM3')).body.query).toMatchObject({
          vin: 'JH4KA7630PC007649',
          voucher_code: 'WQ4MM3',
        })
      })

      it('echoes date-times normalised to UTC, whatever offset or encoding was sent', async () => {
        const sent = [
          '2024-05-05T07:05:04.500+02:00',
          '2024-05-05T07:05:04.5%2B02:00',
          '2024-05-05T03:35:04.50-01:30',
          '2024-05-05T05:05:04.500000Z',
        ]
        for (const value of sent) {
          const { body } = await list(`created_after=${value}&finished_before=${value}&updated_after=${value}&limit=0`)
          expect(body.query, value).toMatchObject({
            created_after: '2024-05-05T05:05:04.5Z',
            finished_before: '2024-05-05T05:05:04.5Z',
            updated_after: '2024-05-05T05:05:04.5Z',
          })
        }
        const { body } = await list(
          'created_before=2024-12-31T23:30:00-01:00&updated_before=2024-07-01T12:00:00.123456Z&finished_after=2024-01-01T00:00:00Z&limit=0',
        )
        expect(body.query).toMatchObject({
          created_before: '2025-01-01T00:30:00Z',
          updated_before: '2024-07-01T12:00:00.123456Z',
          finished_after: '2024-01-01T00:00:00Z',
        })
      })

      it('echoes UUID filters in canonical lowercase', async () => {
        const { body } = await list(
          `customer_id=${CUSTOMER_X.toUpperCase()}&operator_id=${OPERATOR_Y}&source_provider_id=${PROVIDER_A}&customer_connector_id=${sample.customer_connector_id}`,
        )
        expect(body.query).toMatchObject({
          customer_id: CUSTOMER_X,
          operator_id: OPERATOR_Y,
          source_provider_id: PROVIDER_A,
          customer_connector_id: sample.customer_connector_id,
        })
      })

      it('keeps the order of the sort_by keys', async () => {
        const order = ['ticket_number', 'finished_at', 'created_at', 'assigned_at', 'updated_at']
        const { body, raw } = await list(`${order.map((f, i) => `sort_by[${f}]=${i % 2 ? 'asc' : 'desc'}`).join('&')}&limit=0`)
        expect(Object.keys(body.query.sort_by as object)).toEqual(order)
        expect(raw).toContain(
          '"sort_by":{"ticket_number":"desc","finished_at":"asc","created_at":"desc","assigned_at":"asc","updated_at":"desc"}',
        )
      })

      it('echoes a huge offset exactly, with an empty page and the exact total', async () => {
        const { body, raw } = await list('offset=9223372036854775807&limit=1000')
        expect(raw).toContain('"offset":9223372036854775807')
        expect(body.result).toEqual([])
        expect(body.total).toBe(A.length)
      })
    })

    describe('tenancy', () => {
      it('shows provider B only its own tickets, and counts only those', async () => {
        const { body } = await list('limit=1000', PROVIDER_B)
        expect(numbers(body.result)).toEqual(numbers(sortTickets(B)))
        expect(body.total).toBe(B.length)
        expect((await list('limit=0', PROVIDER_C)).body.total).toBe(ticketsOf(PROVIDER_C).length)
      })

      it('never matches another provider’s ticket, whatever the filter', async () => {
        for (const query of [
          'ticket_number=9000001',
          `customer_id=${CUSTOMER_X}`,
          'external_reference=ERP-5',
          'vin=',
          'vehicle_model_id=42',
        ]) {
          const { body } = await list(query, PROVIDER_B)
          expect({ query, result: body.result, total: body.total }).toEqual({ query, result: [], total: 0 })
        }
      })

      it('treats source_provider_id as data, not as the tenancy key', async () => {
        expect(numbers((await list(`source_provider_id=${PROVIDER_B}`, PROVIDER_B)).body.result)).toEqual(numbers(sortTickets(B)))
        expect((await list(`source_provider_id=${PROVIDER_A}`, PROVIDER_B)).body).toMatchObject({ result: [], total: 0 })
      })
    })
  },
  seedStore,
)
