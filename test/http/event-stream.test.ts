// GET /v2/system/events/stream on a listening server, read by real clients: the `eventsource`
// package (a WHATWG EventSource, the judge of our framing) and raw HTTP (headers, comments,
// the order of frames). Events come in feed order with their ids and types; a stream resumes
// from Last-Event-ID (or after_id) with nothing skipped or repeated while writers keep
// committing; filters narrow it; bad requests are problems before any stream starts.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { nextUlid } from '../../src/domain/lifecycle/ulid.js'
import { START_OF_FEED } from '../../src/domain/event-stream-query.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B, PROVIDER_C } from '../support/fixtures.js'
import { platformFor, type Platform } from '../support/lifecycle.js'
import { settleFeed } from '../support/feed.js'
import { eventSource, listen, openRaw, type SseBlock } from '../support/sse.js'
import { describeEachStore } from '../support/stores.js'

const STREAM = '/v2/system/events/stream'
const SECRET = 'event-stream-test-secret-0123456789abcdef'

interface FeedEvent {
  id: string
  type: string
  payload: { ticket?: { id: string } }
}

const eventsOf = (blocks: SseBlock[]) => blocks.filter((b) => b.id !== undefined && b.event !== 'stream.position')

describeEachStore('the live event stream (SSE)', (ctx) => {
  let app: FastifyInstance
  let base: string
  let a: Platform
  let reader: string

  const feed = async (query = ''): Promise<FeedEvent[]> => {
    await settleFeed(ctx.store, [PROVIDER_A])
    const response = await app.inject({ method: 'GET', url: `/v2/system/events?limit=1000${query}`, headers: bearer(reader) })
    expect(response.statusCode, response.body).toBe(200)
    return response.json().result
  }
  const feedDocs = async (query = '') => {
    await settleFeed(ctx.store, [PROVIDER_A])
    const response = await app.inject({ method: 'GET', url: `/v2/system/events?limit=1000${query}`, headers: bearer(reader) })
    return (response.json().result as unknown[]).map((event) => JSON.stringify(event))
  }

  beforeAll(async () => {
    app = await createTestApp(ctx.store, {
      signingSecret: SECRET,
      streams: { heartbeatMs: 100, retryMs: 20, maxMs: 60_000, perClient: 3 },
      // One request at a time per client: a stream that kept its slot would block every other request of its client.
      clientConcurrency: 1,
    })
    base = await listen(app)
    a = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
    reader = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
    const first = await a.create()
    await a.act(first.id, 'join', { operator_id: OPERATOR_Y })
  })
  afterAll(async () => {
    await app.close()
  })

  it('answers text/event-stream without buffering, a retry hint, its position, then each new event as id, event and data', async () => {
    // Nothing held back (another suite's transaction on PostgreSQL): the stream starts at the feed's last event.
    await settleFeed(ctx.store, [PROVIDER_A])
    const stream = await openRaw(`${base}${STREAM}`, bearer(reader))
    try {
      expect(stream.status).toBe(200)
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(stream.headers['cache-control']).toBe('no-cache, no-transform')
      expect(stream.headers['x-accel-buffering']).toBe('no')
      const [retry, position] = await stream.until((blocks) => blocks.length >= 2)
      expect(retry).toEqual({ retry: '20', comments: [] })
      // It starts at the current end of the feed and says so.
      const history = await feed()
      expect(position).toEqual({
        id: history.at(-1)!.id,
        event: 'stream.position',
        data: JSON.stringify({ after_id: history.at(-1)!.id }),
        comments: [],
      })
      const ticket = await a.create()
      await a.act(ticket.id, 'cancel', { cancel_reason_id: 1 })
      const blocks = await stream.until((b) => eventsOf(b).length >= 2)
      const sent = eventsOf(blocks)
      const expected = (await feedDocs(`&after_id=${history.at(-1)!.id}`)).map((doc) => JSON.parse(doc) as FeedEvent)
      expect(sent.map((b) => [b.id, b.event])).toEqual(expected.map((e) => [e.id, e.type]))
      expect(sent.map((b) => b.data)).toEqual(await feedDocs(`&after_id=${history.at(-1)!.id}`))
      // Heartbeats are comments, each a block of its own.
      await stream.until((b) => b.filter((block) => block.comments.includes('keep-alive')).length >= 2)
      for (const block of stream.blocks().filter((b) => b.comments.length > 0)) expect(block).toEqual({ comments: ['keep-alive'] })
      expect(stream.text()).toMatch(/\n\n: keep-alive\n\n/)
    } finally {
      stream.close()
    }
  })

  it('is read by a standard EventSource: types as event names, ids as lastEventId, the feed’s documents as data', async () => {
    const source = eventSource(`${base}${STREAM}`, () => reader)
    const received: Array<{ type: string; id: string; data: string }> = []
    const opened = new Promise<string>((resolve) =>
      source.addEventListener('stream.position', (event) => resolve(event.lastEventId), { once: true }),
    )
    for (const type of ['tickets.ticket.created', 'tickets.ticket.joined', 'tickets.ticket.closed'])
      source.addEventListener(type, (event) => received.push({ type: event.type, id: event.lastEventId, data: event.data }))
    try {
      const start = await opened
      const ticket = await a.create()
      await a.act(ticket.id, 'join', { operator_id: OPERATOR_Y })
      await a.act(ticket.id, 'close', {})
      await expect.poll(() => received.length, { timeout: 10_000 }).toBe(3)
      const expected = await feedDocs(start === START_OF_FEED ? '' : `&after_id=${start}`)
      expect(received.map((r) => r.data)).toEqual(expected)
      expect(received.map((r) => [r.type, r.id])).toEqual(expected.map((doc) => JSON.parse(doc) as FeedEvent).map((e) => [e.type, e.id]))
      expect(source.readyState).toBe(source.OPEN)
    } finally {
      source.close()
    }
  })

  it('resumes from Last-Event-ID, or after_id, with the events after it; Last-Event-ID wins over after_id', async () => {
    const all = await feed()
    const [first, second, third] = all
    // A client of its own: streams closed by an earlier test may not have ended on the server yet (3 per client here).
    const own = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
    const fromHeader = await openRaw(`${base}${STREAM}`, { ...bearer(own), 'last-event-id': first!.id })
    const fromQuery = await openRaw(`${base}${STREAM}?after_id=${second!.id}`, bearer(own))
    const both = await openRaw(`${base}${STREAM}?after_id=${first!.id}`, { ...bearer(own), 'last-event-id': third!.id })
    try {
      const ids = async (stream: typeof fromHeader, count: number) =>
        eventsOf(await stream.until((b) => eventsOf(b).length >= count)).map((b) => b.id)
      expect(await ids(fromHeader, all.length - 1)).toEqual(all.slice(1).map((e) => e.id))
      expect(await ids(fromQuery, all.length - 2)).toEqual(all.slice(2).map((e) => e.id))
      expect(await ids(both, all.length - 3)).toEqual(all.slice(3).map((e) => e.id))
      // A resumed stream knows its position: it announces none.
      expect(fromHeader.blocks().some((b) => b.event === 'stream.position')).toBe(false)
    } finally {
      for (const stream of [fromHeader, fromQuery, both]) stream.close()
    }
  })

  it('filters by type (lists and prefixes) and ticket, as the feed does', async () => {
    const all = await feed()
    const ticket = all.find((e) => e.type === 'tickets.ticket.cancelled')!.payload.ticket!.id
    const cases = ['type=tickets.ticket.created,tickets.ticket.cancelled', 'type=tickets.ticket.*', `ticket_id=${ticket}`]
    for (const query of cases) {
      const expected = await feed(`&${query}`)
      const own = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
      const stream = await openRaw(`${base}${STREAM}?${query}&after_id=${START_OF_FEED}`, bearer(own))
      try {
        const got = eventsOf(await stream.until((b) => eventsOf(b).length >= expected.length))
        expect(
          got.map((b) => b.id),
          query,
        ).toEqual(expected.map((e) => e.id))
      } finally {
        stream.close()
      }
    }
    // Live events are filtered in memory the same way.
    const live = await openRaw(
      `${base}${STREAM}?type=tickets.ticket.closed`,
      bearer(await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])),
    )
    try {
      await live.until((b) => b.some((block) => block.event === 'stream.position'))
      const other = await a.create()
      await a.act(other.id, 'join', { operator_id: OPERATOR_Y })
      await a.act(other.id, 'close', {})
      const got = eventsOf(await live.until((b) => eventsOf(b).length >= 1))
      expect(got.map((b) => b.event)).toEqual(['tickets.ticket.closed'])
      expect(JSON.parse(got[0]!.data!).payload.ticket.id).toBe(other.id)
    } finally {
      live.close()
    }
  })

  it('refuses bad requests with problems before streaming: parameters, Last-Event-ID, unknown and expired positions', async () => {
    const problem = async (query: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}${STREAM}${query}`, { headers: { ...bearer(reader), ...headers } })
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      return { status: response.status, body: await response.json() }
    }
    expect(await problem('?limit=5')).toEqual({
      status: 400,
      body: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'Query parameter limit is not a parameter of this endpoint (names are case-sensitive).',
        code: 'invalid-query',
        errors: [{ in: 'query', name: 'limit', detail: 'is not a parameter of this endpoint (names are case-sensitive)' }],
      },
    })
    expect((await problem('?type=tickets.ticket.nope')).body).toMatchObject({ status: 400, code: 'invalid-filter' })
    expect((await problem('', { 'last-event-id': 'not-an-id' })).body).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'Last-Event-ID must be an event id this stream sent (a 26-character ULID).',
      code: 'invalid-header',
      errors: [{ in: 'header', name: 'last-event-id', detail: 'must be an event id (a 26-character ULID)' }],
    })
    const unknown = nextUlid(Date.now())
    expect(await problem('', { 'last-event-id': unknown })).toEqual({
      status: 400,
      body: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: `Last-Event-ID ${unknown} names no event of your provider; page with an id the feed gave you.`,
        code: 'unknown-after-id',
        errors: [{ in: 'header', name: 'Last-Event-ID', detail: 'names no event of your provider' }],
      },
    })
    const expired = nextUlid(Date.parse('2020-01-01T00:00:00Z'))
    const gone = await problem(`?after_id=${expired}`)
    expect(gone.status).toBe(410)
    expect(gone.body).toMatchObject({ code: 'events-expired', errors: [{ in: 'query', name: 'after_id' }] })
    const anonymous = await fetch(`${base}${STREAM}`)
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ code: 'unauthorized' })
  })

  it('announces the start of the feed to a provider without events, so that its first events are never missed', async () => {
    const newcomer = await tokenFor(app, ctx.store, PROVIDER_C, ['tickets:read'])
    const stream = await openRaw(`${base}${STREAM}`, bearer(newcomer))
    try {
      const blocks = await stream.until((b) => b.some((block) => block.event === 'stream.position'))
      expect(blocks.find((b) => b.event === 'stream.position')!.id).toBe(START_OF_FEED)
    } finally {
      stream.close()
    }
    // Events committed while the client was away come when it reconnects with that id.
    const c = await platformFor(app, ctx.store, PROVIDER_C, CUSTOMER_X)
    const ticket = await c.create()
    const resumed = await openRaw(`${base}${STREAM}`, { ...bearer(newcomer), 'last-event-id': START_OF_FEED })
    try {
      const got = eventsOf(await resumed.until((b) => eventsOf(b).length >= 1))
      expect(JSON.parse(got[0]!.data!).payload.ticket.id).toBe(ticket.id)
    } finally {
      resumed.close()
    }
  })

  it('allows a bounded number of streams per client (429 beyond), and a stream holds no concurrency slot', async () => {
    const token = await tokenFor(app, ctx.store, PROVIDER_B, ['tickets:read'])
    const open = await Promise.all([1, 2, 3].map(() => openRaw(`${base}${STREAM}`, bearer(token))))
    try {
      expect(open.map((s) => s.status)).toEqual([200, 200, 200])
      const refused = await fetch(`${base}${STREAM}`, { headers: bearer(token) })
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('5')
      expect(await refused.json()).toMatchObject({ code: 'too-many-streams', status: 429 })
      // Ordinary requests of the same client still go through.
      const list = await fetch(`${base}/v2/system/events`, { headers: bearer(token) })
      expect(list.status).toBe(200)
      open[0]!.close()
      await expect
        .poll(async () => (await openRaw(`${base}${STREAM}`, bearer(token)).then((s) => (s.close(), s.status))) === 200, {
          timeout: 5_000,
        })
        .toBe(true)
    } finally {
      for (const stream of open) stream.close()
    }
  })
})
