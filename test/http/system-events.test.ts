// GET /v2/system/events through the API: feed order and tenancy, every parameter and their
// combinations, the 400s as whole problem documents, the 410 past retention, and long polls
// that wake on a commit, time out with an empty page, and end when the server closes.
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { nextUlid } from '../../src/domain/lifecycle/ulid.js'
import { EventHub } from '../../src/events/event-hub.js'
import { openStore } from '../../src/store/open-store.js'
import { endpointDisabledEvent } from '../../src/events/provider-events.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B, PROVIDER_C } from '../support/fixtures.js'
import { platformFor, type Platform } from '../support/lifecycle.js'
import { settleFeed } from '../support/feed.js'
import { describeEachStore } from '../support/stores.js'

const FEED = '/v2/system/events'
const SECRET = 'system-events-test-secret-0123456789abcdef'

interface FeedEvent {
  id: string
  type: string
  occurred_at: string
  payload: { ticket?: { id: string } }
}

describeEachStore('the events feed', (ctx) => {
  let app: FastifyInstance
  let a: Platform
  let b: Platform
  let reader: string
  const ids: Record<string, string[]> = {}
  let first: string
  let second: string
  let before: string

  const feed = async (query = '', token = reader) =>
    app.inject({ method: 'GET', url: `${FEED}${query ? `?${query}` : ''}`, headers: bearer(token) })
  const events = async (query = '', token = reader): Promise<FeedEvent[]> => {
    const response = await feed(query, token)
    expect(response.statusCode, response.body).toBe(200)
    return response.json().result
  }

  beforeAll(async () => {
    app = await createTestApp(ctx.store, { signingSecret: SECRET })
    a = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
    b = await platformFor(app, ctx.store, PROVIDER_B, CUSTOMER_X)
    reader = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
    // A's history: ticket 1 created, joined, closed; ticket 2 created, cancelled; an endpoint disabled.
    first = (await a.create()).id
    expect((await a.act(first, 'join', { operator_id: OPERATOR_Y })).statusCode).toBe(200)
    before = new Date().toISOString()
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect((await a.act(first, 'close', {})).statusCode).toBe(200)
    second = (await a.create()).id
    expect((await a.act(second, 'cancel', { cancel_reason_id: 1 })).statusCode).toBe(200)
    await ctx.store.appendProviderEvent(
      endpointDisabledEvent(PROVIDER_A, { id: randomUUID(), url: 'https://hooks.example/a', disabled_reason: 'gone' }, new Date()),
    )
    // B's events must never show in A's feed.
    const other = await b.create()
    await b.act(other.id, 'join', { operator_id: OPERATOR_Y })
    await settleFeed(ctx.store, [PROVIDER_A, PROVIDER_B])
    const all = await events('limit=1000')
    ids.all = all.map((e) => e.id)
  })
  afterAll(async () => {
    await app.close()
  })
  // Reads without `wait` expect everything committed so far (see settleFeed).
  beforeEach(() => settleFeed(ctx.store, [PROVIDER_A, PROVIDER_B]))

  it('serves the provider’s events oldest first with the applied query, none of another provider', async () => {
    const response = await feed()
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    const body = response.json()
    expect(body.query).toEqual({ limit: 25, wait: 0 })
    expect(body.result.map((e: FeedEvent) => e.type)).toEqual([
      'tickets.ticket.created',
      'tickets.ticket.joined',
      'tickets.ticket.closed',
      'tickets.ticket.created',
      'tickets.ticket.cancelled',
      'webhook.endpoint.disabled',
    ])
    expect(body.result[0].payload.ticket.id).toBe(first)
    expect(body.result[5]).toMatchObject({
      type: 'webhook.endpoint.disabled',
      payload: { endpoint: { url: 'https://hooks.example/a', disabled_reason: 'gone' } },
      actor: { type: 'system' },
      changes: {},
    })
    // The ticket's own history holds the same documents.
    const history = await a.events(first)
    expect(body.result.slice(0, 3)).toEqual(history)
    expect((await events('', b.token)).map((e) => e.type)).toEqual(['tickets.ticket.created', 'tickets.ticket.joined'])
  })

  it('pages with after_id and limit, and limit=0 answers an empty page', async () => {
    const [one, two, three] = ids.all!
    expect((await events(`limit=2`)).map((e) => e.id)).toEqual([one, two])
    expect((await events(`after_id=${two}&limit=1`)).map((e) => e.id)).toEqual([three])
    expect(await events(`after_id=${ids.all!.at(-1)}`)).toEqual([])
    const zero = await feed(`limit=0&after_id=${one}`)
    expect(zero.json()).toEqual({ query: { after_id: one, limit: 0, wait: 0 }, result: [] })
  })

  it('filters by type (exact, lists, repeated, prefixes), ticket and time, in any combination', async () => {
    const types = async (query: string) => (await events(query)).map((e) => e.type)
    expect(await types('type=tickets.ticket.created')).toEqual(['tickets.ticket.created', 'tickets.ticket.created'])
    expect(await types('type=tickets.ticket.closed,tickets.ticket.cancelled')).toEqual([
      'tickets.ticket.closed',
      'tickets.ticket.cancelled',
    ])
    expect(await types('type=tickets.ticket.closed&type=webhook.endpoint.disabled')).toEqual([
      'tickets.ticket.closed',
      'webhook.endpoint.disabled',
    ])
    expect(await types('type=webhook.*')).toEqual(['webhook.endpoint.disabled'])
    expect(await types('type=tickets.ticket.*')).toHaveLength(5)
    expect(await types('type=tickets.*,webhook.endpoint.disabled')).toHaveLength(6)
    expect(await types(`ticket_id=${second}`)).toEqual(['tickets.ticket.created', 'tickets.ticket.cancelled'])
    expect(await types(`ticket_id=${second.toUpperCase()}&type=tickets.ticket.cancelled`)).toEqual(['tickets.ticket.cancelled'])
    expect(await types(`occurred_after=${encodeURIComponent(before)}&type=tickets.ticket.created`)).toEqual(['tickets.ticket.created'])
    expect(await types(`occurred_after=${encodeURIComponent(before)}&ticket_id=${first}&after_id=${ids.all![0]}`)).toEqual([
      'tickets.ticket.closed',
    ])
    const echoed = await feed(
      `type=tickets.ticket.closed&type=webhook.*&ticket_id=${first}&occurred_after=2020-01-01T01:00:00%2B01:00&wait=0`,
    )
    expect(echoed.json().query).toEqual({
      limit: 25,
      occurred_after: '2020-01-01T00:00:00Z',
      type: ['tickets.ticket.closed', 'webhook.*'],
      ticket_id: first,
      wait: 0,
    })
  })

  it('refuses unknown parameters and bad values with problems naming each', async () => {
    const problem = async (query: string) => {
      const response = await feed(query)
      expect(response.statusCode, query).toBe(400)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      return response.json()
    }
    expect(await problem('colour=red')).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'Query parameter colour is not a parameter of this endpoint (names are case-sensitive).',
      code: 'invalid-query',
      errors: [{ in: 'query', name: 'colour', detail: 'is not a parameter of this endpoint (names are case-sensitive)' }],
    })
    const unknownType = await problem('type=tickets.ticket.exploded')
    expect(unknownType).toMatchObject({ code: 'invalid-filter', errors: [{ in: 'query', name: 'type' }] })
    expect(unknownType.detail).toContain(
      'has an element "tickets.ticket.exploded" that is not a known event type; use one of tickets.ticket.created',
    )
    expect(unknownType.detail).toContain(
      'webhook.endpoint.disabled, or a prefix form: tickets.*, tickets.ticket.*, webhook.*, webhook.endpoint.*',
    )
    const cases: Array<[string, string, string, RegExp]> = [
      ['type=tickets.ticket', 'invalid-filter', 'type', /not a known event type/],
      ['type=tickets.tick*', 'invalid-filter', 'type', /not a known event type/],
      ['type=*', 'invalid-filter', 'type', /not a known event type/],
      ['type=', 'invalid-filter', 'type', /must not be empty/],
      ['type=tickets.ticket.closed,', 'invalid-filter', 'type', /empty element/],
      ['type=webhook.*&type=webhook.*', 'invalid-filter', 'type', /more than once/],
      ['limit=1001', 'invalid-pagination', 'limit', /between 0 and 1000/],
      ['limit=-1', 'invalid-pagination', 'limit', /between 0 and 1000/],
      ['limit=1&limit=2', 'invalid-pagination', 'limit', /at most once/],
      ['wait=31', 'invalid-pagination', 'wait', /between 0 and 30/],
      ['wait=1.5', 'invalid-pagination', 'wait', /between 0 and 30/],
      ['wait=', 'invalid-pagination', 'wait', /must not be empty/],
      ['after_id=123', 'invalid-pagination', 'after_id', /26-character ULID/],
      ['after_id=01m8w29wjv6dzbxaqnr26hf323', 'invalid-pagination', 'after_id', /26-character ULID/],
      ['ticket_id=42', 'invalid-filter', 'ticket_id', /must be a UUID/],
      ['occurred_after=2024-01-01', 'invalid-filter', 'occurred_after', /RFC 3339/],
      ['occurred_after=2024-02-30T00:00:00Z', 'invalid-filter', 'occurred_after', /calendar date/],
      ['ticket_id=%ZZ', 'invalid-query', 'ticket_id', /percent-encoded/],
    ]
    for (const [query, code, name, detail] of cases) {
      const body = await problem(query)
      expect(body.code, query).toBe(code)
      expect(body.errors, query).toHaveLength(1)
      expect(body.errors[0].name, query).toBe(name)
      expect(body.errors[0].detail, query).toMatch(detail)
    }
    const several = await problem('limit=x&wait=99&colour=1')
    expect(several).toMatchObject({ code: 'invalid-query', detail: '3 query parameters are invalid: limit, wait, colour.' })
  })

  it('answers 410 for an after_id older than the retention, 400 for one that names none of the provider’s events', async () => {
    const old = nextUlid(Date.parse('2020-01-01T00:00:00Z'))
    const expired = await feed(`after_id=${old}`)
    expect(expired.statusCode).toBe(410)
    expect(expired.json()).toEqual({
      type: 'about:blank',
      title: 'Gone',
      status: 410,
      detail:
        `Event ${old} is older than the 30 days the feed keeps, so events after it may be gone. ` +
        'Resynchronise from the ticket lists, then follow the feed again with occurred_after set to when you began.',
      code: 'events-expired',
      errors: [{ in: 'query', name: 'after_id', detail: 'names no event of your provider' }],
    })
    const made = nextUlid(Date.now())
    const unknown = await feed(`after_id=${made}`)
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json()).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: `after_id ${made} names no event of your provider; page with an id the feed gave you.`,
      code: 'unknown-after-id',
      errors: [{ in: 'query', name: 'after_id', detail: 'names no event of your provider' }],
    })
    // Another provider's event is unknown here, however real.
    const theirs = (await events('', b.token))[0]!.id
    expect((await feed(`after_id=${theirs}`)).json().code).toBe('unknown-after-id')
    // The same rule while waiting: it never turns into a long wait.
    expect((await feed(`after_id=${made}&wait=5`)).statusCode).toBe(400)
  })

  it('answers any query string with 200 or a problem, never a 5xx', async () => {
    const hostile = [
      '',
      '%00',
      '%ZZ',
      "'; drop table ticket_events; --",
      '*',
      '.*',
      'tickets.ticket.',
      '1e3',
      '-0',
      'null',
      '\u0000',
      'ä',
      ' ',
    ]
    const value = (valid: fc.Arbitrary<string>) => fc.oneof(valid, fc.constantFrom(...hostile), fc.string({ maxLength: 12 }))
    const parameter = fc.oneof(
      fc.tuple(fc.constant('after_id'), value(fc.constantFrom(...ids.all!, nextUlid(0), nextUlid(Date.now())))),
      fc.tuple(fc.constant('limit'), value(fc.integer({ min: -5, max: 1005 }).map(String))),
      fc.tuple(fc.constant('occurred_after'), value(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()))),
      fc.tuple(fc.constant('type'), value(fc.constantFrom('tickets.ticket.*', 'webhook.*', 'tickets.ticket.closed,webhook.*'))),
      fc.tuple(fc.constant('ticket_id'), value(fc.constantFrom(first, second, randomUUID()))),
      // Only waits that end at once: a valid wait > 0 would hold the request.
      fc.tuple(fc.constant('wait'), fc.constantFrom('0', '31', '-1', '', 'x', '0.5')),
      fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(parameter, { maxLength: 5 }), async (pairs) => {
        const query = pairs.map(([name, v]) => `${encodeURIComponent(name)}=${v.startsWith('%') ? v : encodeURIComponent(v)}`).join('&')
        const response = await feed(query)
        expect(response.statusCode, query).toBeLessThan(500)
        if (response.statusCode !== 200) {
          expect(response.headers['content-type'], query).toMatch(/^application\/problem\+json/)
          expect(['invalid-query', 'invalid-filter', 'invalid-pagination', 'unknown-after-id', 'events-expired']).toContain(
            response.json().code,
          )
        }
      }),
      { numRuns: 200, seed: 20_261_205 },
    )
  })

  it('needs tickets:read', async () => {
    const writer = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:write'])
    const response = await feed('', writer)
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ code: 'insufficient-scope' })
    expect((await app.inject({ method: 'GET', url: FEED })).statusCode).toBe(401)
  })

  it('holds a caught-up request until its provider commits, then answers at once', async () => {
    const last = (await events('limit=1000')).at(-1)!.id
    const started = performance.now()
    const held = feed(`after_id=${last}&wait=10`)
    await new Promise((resolve) => setTimeout(resolve, 300))
    // Another provider's commit does not answer it.
    const other = await b.create()
    await new Promise((resolve) => setTimeout(resolve, 200))
    const created = await a.create()
    const response = await held
    expect(response.statusCode).toBe(200)
    expect(response.json().query).toEqual({ after_id: last, limit: 25, wait: 10 })
    expect(response.json().result.map((e: FeedEvent) => e.payload.ticket!.id)).toEqual([created.id])
    expect(performance.now() - started).toBeLessThan(5000)
    expect(other.id).not.toBe(created.id)
  })

  it('answers an empty page when the wait is over', async () => {
    const last = (await events('limit=1000')).at(-1)!.id
    const started = performance.now()
    const response = await feed(`after_id=${last}&wait=1`)
    const took = performance.now() - started
    expect(response.json()).toEqual({ query: { after_id: last, limit: 25, wait: 1 }, result: [] })
    expect(took).toBeGreaterThanOrEqual(950)
    expect(took).toBeLessThan(4000)
    // A filter that matches nothing new waits out its time too, though the provider commits.
    const filtered = feed(`after_id=${last}&wait=1&type=webhook.*`)
    await a.create()
    expect((await filtered).json().result).toEqual([])
  })
})

describeEachStore('long polls and the server', (ctx) => {
  it('end with an empty page when the app closes, and when the client leaves', async () => {
    const hub = new EventHub(ctx.store)
    const app = await createTestApp(ctx.store, { signingSecret: SECRET, hub })
    const token = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
    await app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    const url = `${base}${FEED}?type=webhook.*&wait=30`
    try {
      // The client leaves: its wait is dropped, nothing is left waiting.
      const leaving = new AbortController()
      const left = fetch(url, { headers: bearer(token), signal: leaving.signal }).catch((error: Error) => error.name)
      for (let i = 0; i < 200 && hub.waiting === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(hub.waiting).toBe(1)
      leaving.abort()
      expect(await left).toBe('AbortError')
      for (let i = 0; i < 200 && hub.waiting > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(hub.waiting).toBe(0)

      // The server closes: the held request answers what it has, promptly.
      const held = fetch(url, { headers: bearer(token) })
      for (let i = 0; i < 200 && hub.waiting === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      const closing = performance.now()
      const closed = app.close()
      const response = await held
      // Answered at once, not when the wait is over (how long close then takes depends on the
      // client's keep-alive, which the Connection: close below shortens).
      expect(performance.now() - closing).toBeLessThan(3000)
      expect(response.status).toBe(200)
      expect(response.headers.get('connection')).toBe('close')
      expect(await response.json()).toEqual({ query: { limit: 25, type: ['webhook.*'], wait: 30 }, result: [] })
      await closed
    } finally {
      await app.close()
      hub.close()
    }
  })

  it('do not hold the client’s concurrency slot while they wait', async () => {
    const app = await createTestApp(ctx.store, { signingSecret: SECRET, clientConcurrency: 1 })
    try {
      const platform = await platformFor(app, ctx.store, PROVIDER_B, CUSTOMER_X)
      const ticket = await platform.create()
      const held = platform.get(`${FEED}?type=webhook.*&wait=3`)
      await new Promise((resolve) => setTimeout(resolve, 200))
      // With a limit of 1, this would queue behind the held poll if the poll kept its slot.
      const started = performance.now()
      expect((await platform.get(`/v2/tickets/tickets/${ticket.id}`)).statusCode).toBe(200)
      expect(performance.now() - started).toBeLessThan(2000)
      expect((await held).json().result).toEqual([])
    } finally {
      await app.close()
    }
  })

  it.runIf(ctx.kind === 'postgres')('wake on a commit made by another server process (NOTIFY)', async () => {
    const writer = await createTestApp(ctx.store, { signingSecret: SECRET })
    const otherStore = await openStore({
      databaseUrl: ctx.env.TICKETS_DATABASE_URL!,
      dataDir: '',
      poolSize: 2,
      migrate: false,
      followEventCommits: true,
    })
    const other = await createTestApp(otherStore, { signingSecret: SECRET })
    try {
      const platform = await platformFor(writer, ctx.store, PROVIDER_C, CUSTOMER_X)
      const token = await tokenFor(other, otherStore, PROVIDER_C, ['tickets:read'])
      const held = other.inject({ method: 'GET', url: `${FEED}?wait=20`, headers: bearer(token) })
      await new Promise((resolve) => setTimeout(resolve, 300))
      const started = performance.now()
      const created = await platform.create()
      const response = await held
      expect(response.json().result.map((e: FeedEvent) => e.payload.ticket!.id)).toEqual([created.id])
      expect(performance.now() - started).toBeLessThan(5000)
    } finally {
      await other.close()
      await otherStore.close()
      await writer.close()
    }
  })
})
