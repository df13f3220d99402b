// Property: for random filters, sort keys, limit and offset — encoded in the many ways a
// client may write them — GET /v2/tickets/tickets answers exactly what the in-memory model
// of issue 2's semantics says: the same ticket ids in the same order, total and echo.
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { TICKET_STATES, type Ticket } from '../../src/contract/ticket.js'
import { generateTickets } from '../../src/demo/generate-tickets.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { importAll, PROVIDER_A, PROVIDER_B, PROVIDER_C, SEED, seedStore, ticket, ticketsOf } from '../support/fixtures.js'
import { instant, listModel, safe, type ModelQuery, type SortField } from '../support/list-model.js'
import { describeEachStore } from '../support/stores.js'

const PATH = '/v2/tickets/tickets'
const RUNS = 400
const SEED_VALUE = 20_240_505

// Extra tickets of A: microsecond neighbours and exact ties of EDGE ticket 9000005, an odd
// external reference, and a cluster of generated tickets around the same day.
const eid = (n: number) => `e0000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const EXTRA: Ticket[] = [
  ticket({
    id: eid(1),
    ticket_number: 9100001,
    created_at: '2024-07-01T12:00:00.123455Z',
    assigned_at: '2024-07-01T12:00:00.123456Z',
    updated_at: '2024-07-02T12:00:00.500001Z',
    finished_at: '2024-07-02T12:00:00.499999Z',
  }),
  ticket({
    id: eid(2),
    ticket_number: 9100002,
    created_at: '2024-07-01T12:00:00.123457Z',
    assigned_at: '2024-07-01T12:00:00.123456Z',
    updated_at: '2024-07-02T12:00:00.5Z',
    finished_at: '2024-07-02T12:00:00.5Z',
  }),
  ticket({
    id: eid(3),
    ticket_number: 9100003,
    created_at: '2024-07-01T12:00:00.123456Z',
    assigned_at: null,
    operator_id: null,
    updated_at: '2024-07-02T12:00:00.5Z',
    finished_at: '2024-07-02T12:00:00.5Z',
    external_reference: 'ERP/7 & co=1,2+3% #x',
    voucher_code: null,
  }),
  ticket({
    id: eid(4),
    ticket_number: 9100004,
    state: 'pending',
    created_at: '2024-07-01T12:00:00.123456Z',
    assigned_at: null,
    operator_id: null,
    finished_at: null,
    updated_at: '2024-07-01T12:00:00.123456Z',
    externally_processed: true,
  }),
  ...generateTickets({
    count: 16,
    seed: 44,
    providerId: PROVIDER_A,
    firstTicketNumber: 5000,
    spanDays: 2,
    until: new Date('2024-07-02T12:00:00Z'),
    customers: 2,
  }),
]
const TICKETS: Record<string, Ticket[]> = {
  [PROVIDER_A]: [...ticketsOf(PROVIDER_A), ...EXTRA],
  [PROVIDER_B]: ticketsOf(PROVIDER_B),
  [PROVIDER_C]: ticketsOf(PROVIDER_C),
}

// Values are drawn mostly from the caller's own tickets (so filters match), sometimes from
// every provider's (so tenancy mistakes would show), sometimes at random.
const EVERY = [...SEED.map((s) => s.ticket), ...EXTRA]
const valuesOf = <K extends keyof Ticket>(tickets: readonly Ticket[], field: K) =>
  [...new Set(tickets.map((t) => t[field]))].filter((v): v is NonNullable<Ticket[K]> => v !== null)
type Pick = <K extends keyof Ticket, T>(field: K, random: fc.Arbitrary<T>, extra?: readonly T[]) => fc.Arbitrary<NonNullable<Ticket[K]> | T>
const picker =
  (own: readonly Ticket[]): Pick =>
  (field, random, extra = []) => {
    const mine = [...valuesOf(own, field), ...extra]
    return fc.oneof(
      ...(mine.length > 0 ? [{ arbitrary: fc.constantFrom(...mine), weight: 6 }] : []),
      { arbitrary: fc.constantFrom(...valuesOf(EVERY, field)), weight: 2 },
      { arbitrary: random, weight: 1 },
    )
  }
const noNul = (s: string) => !s.includes('\u0000') // a NUL is pinned separately (tickets-list-errors)

const INT64_MAX = 2n ** 63n - 1n
const int64 = fc.oneof(fc.integer({ min: -1000, max: 10_000 }), fc.bigInt({ min: -INT64_MAX - 1n, max: INT64_MAX }).map(safe))
const upperOrNot = (value: string) => fc.boolean().map((upper) => (upper ? value.toUpperCase() : value))

const TIMES = (['created_at', 'updated_at', 'finished_at', 'assigned_at'] as const).flatMap((field) => valuesOf(EVERY, field))
const micros = fc.oneof(
  fc.tuple(fc.constantFrom(...TIMES), fc.constantFrom(-1n, 0n, 0n, 1n)).map(([t, d]) => instant(t) + d),
  fc.bigInt({ min: instant('2024-01-01T00:00:00Z'), max: instant('2027-01-01T00:00:00Z') }),
)
const pad = (n: number | bigint, width = 2) => String(n).padStart(width, '0')
/** Writes the instant at a zone ('Z' or an offset in minutes), its fraction trimmed or as six digits. */
function render(at: bigint, zone: 'Z' | number, fullFraction: boolean): string {
  const offset = zone === 'Z' ? 0 : zone
  const local = at + BigInt(offset) * 60_000_000n
  const fraction = pad(local % 1_000_000n, 6)
  const whole = new Date(Number(local / 1000n)).toISOString().slice(0, 19)
  const digits = fullFraction ? fraction : fraction.replace(/0+$/, '')
  const suffix = zone === 'Z' ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  return `${whole}${digits ? `.${digits}` : ''}${suffix}`
}
const ZONES: Array<'Z' | number> = ['Z', 'Z', 0, 60, 120, 330, 345, -150, -600, 840, -720]
const dateTime = fc.tuple(micros, fc.constantFrom(...ZONES), fc.boolean()).map(([at, zone, full]) => render(at, zone, full))

type FilterName = Exclude<keyof ModelQuery, 'sort_by' | 'limit' | 'offset'>
const filtersFor = (own: readonly Ticket[]): Record<FilterName, fc.Arbitrary<unknown>> => {
  const pick = picker(own)
  const uuid = (field: 'customer_id' | 'customer_connector_id' | 'operator_id' | 'source_provider_id') =>
    pick(field, fc.uuid()).chain(upperOrNot)
  return {
    state: fc.uniqueArray(fc.constantFrom(...TICKET_STATES), { minLength: 1, maxLength: 3 }),
    cancel_reason_id: fc.uniqueArray(pick('cancel_reason_id', fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), {
      minLength: 1,
      maxLength: 3,
    }),
    created_after: dateTime,
    created_before: dateTime,
    updated_after: dateTime,
    updated_before: dateTime,
    finished_after: dateTime,
    finished_before: dateTime,
    customer_id: uuid('customer_id'),
    customer_connector_id: uuid('customer_connector_id'),
    operator_id: uuid('operator_id'),
    source_provider_id: uuid('source_provider_id'),
    external_reference: pick('external_reference', fc.string({ maxLength: 12, unit: 'grapheme' }).filter(noNul)),
    externally_processed: fc.boolean(),
    ticket_number: pick('ticket_number', int64),
    vehicle_model_id: pick('vehicle_model_id', int64),
    vin: pick('vin', fc.string({ minLength: 17, maxLength: 17, unit: 'grapheme-ascii' }).filter(noNul), [null]),
    voucher_code: pick('voucher_code', fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }).filter(noNul)),
  }
}
const FILTER_NAMES = Object.keys(filtersFor(EVERY)) as FilterName[]
const FIELDS: SortField[] = ['created_at', 'updated_at', 'assigned_at', 'finished_at', 'ticket_number']

const queryFor = (filters: Record<FilterName, fc.Arbitrary<unknown>>): fc.Arbitrary<ModelQuery> =>
  fc
    .record({
      filters: fc
        .constantFrom(0, 1, 1, 1, 2, 2, 3)
        .chain((count) => fc.uniqueArray(fc.constantFrom(...FILTER_NAMES), { minLength: count, maxLength: count }))
        .chain((names) => fc.tuple(...names.map((name) => filters[name].map((value) => [name, value] as const)))),
      sort_by: fc.uniqueArray(fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom('asc' as const, 'desc' as const)), {
        selector: ([f]) => f,
        maxLength: 4,
      }),
      limit: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 2 },
        { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 2 },
        { arbitrary: fc.integer({ min: 0, max: 1000 }), weight: 1 },
      ),
      offset: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 4 },
        { arbitrary: fc.integer({ min: 0, max: 8 }), weight: 4 },
        { arbitrary: fc.integer({ min: 0, max: 60 }), weight: 1 },
        { arbitrary: fc.bigInt({ min: 0n, max: INT64_MAX }).map(safe), weight: 1 },
      ),
    })
    .map(({ filters: chosen, sort_by, limit, offset }): ModelQuery => ({
      ...(Object.fromEntries(chosen) as ModelQuery),
      ...(sort_by.length > 0 ? { sort_by } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(offset !== undefined ? { offset } : {}),
    }))
const QUERIES = Object.fromEntries(Object.entries(TICKETS).map(([provider, own]) => [provider, queryFor(filtersFor(own))]))

/** How the client writes the query: list form, a date's '+' unencoded or not, parameter order. */
const encoding = fc.record({
  lists: fc.constantFrom('comma', 'repeated', 'mixed'),
  rawPlus: fc.boolean(),
  ranks: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
})

function encode(query: ModelQuery, how: { lists: string; rawPlus: boolean; ranks: number[] }): string {
  const pair = (name: string, value: string) => {
    const encoded = encodeURIComponent(value)
    // An unencoded '+' decodes to a space, which the server must still read as the offset sign.
    const isDate = name.endsWith('_after') || name.endsWith('_before')
    return `${name}=${isDate && how.rawPlus ? encoded.replace(/%2B/g, '+') : encoded}`
  }
  const groups: string[][] = []
  for (const [name, value] of Object.entries(query)) {
    if (name === 'sort_by') groups.push(query.sort_by!.map(([field, direction]) => `sort_by[${field}]=${direction}`))
    else if (Array.isArray(value)) {
      const items = value.map(String)
      if (how.lists === 'comma') groups.push([pair(name, items.join(','))])
      else if (how.lists === 'repeated') groups.push(items.map((item) => pair(name, item)))
      else groups.push([pair(name, items.slice(0, 1).join(',')), ...(items.length > 1 ? [pair(name, items.slice(1).join(','))] : [])])
    } else groups.push([pair(name, value === null ? '' : String(value))])
  }
  const order = groups.map((group, i) => ({ group, rank: how.ranks[i] ?? 0, i })).sort((a, b) => a.rank - b.rank || a.i - b.i)
  return order.flatMap(({ group }) => group).join('&')
}

/** JSON.parse, keeping integers beyond 2^53 exact (as bigints). */
const exactJson = (raw: string) =>
  JSON.parse(raw.replace(/(?<=[:,[])(-?\d{16,})(?=[,\]}])/g, '"bigint:$1"'), (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith('bigint:') ? safe(BigInt(value.slice(7))) : value,
  ) as { query: Record<string, unknown>; result: Ticket[]; total: number }

describeEachStore(
  'GET /v2/tickets/tickets agrees with the list model',
  (ctx) => {
    let app: FastifyInstance
    const tokens: Record<string, string> = {}

    beforeAll(async () => {
      app = await createTestApp(ctx.store)
      for (const provider of Object.keys(TICKETS)) tokens[provider] = await tokenFor(app, ctx.store, provider)
    })
    afterAll(async () => {
      await app.close()
    })

    it('answers every random query with the model’s page, total and echo', async () => {
      const request = fc
        .constantFrom(PROVIDER_A, PROVIDER_A, PROVIDER_B, PROVIDER_C)
        .chain((providerId) => fc.tuple(fc.constant(providerId), QUERIES[providerId]!))
      await fc.assert(
        fc.asyncProperty(request, encoding, async ([providerId, query], how) => {
          const queryString = encode(query, how)
          const response = await app.inject({ method: 'GET', url: `${PATH}?${queryString}`, headers: bearer(tokens[providerId]!) })
          expect(response.statusCode, `${queryString}\n${response.body}`).toBe(200)
          const body = exactJson(response.body)
          const model = listModel(TICKETS[providerId]!, query)
          expect({ ids: body.result.map((t) => t.id), total: body.total, query: body.query }, queryString).toEqual({
            ids: model.result.map((t) => t.id),
            total: model.total,
            query: model.query,
          })
          expect(Object.keys(body.query.sort_by as object)).toEqual(Object.keys(model.query.sort_by as object))
        }),
        { seed: SEED_VALUE, numRuns: RUNS, endOnFailure: true },
      )
    }, 120_000) // ~7 s per store on an idle machine; room for a loaded CI box
  },
  async (store) => {
    await seedStore(store)
    await importAll(
      store,
      EXTRA.map((t) => ({ providerId: PROVIDER_A, ticket: t })),
    )
  },
)
