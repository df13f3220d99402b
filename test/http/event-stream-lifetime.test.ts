// How live SSE streams end and resume, on a listening server: the server ends each stream
// after its (short, here) lifetime and a standard EventSource resumes from Last-Event-ID with
// nothing skipped or repeated while writers keep committing; a stream announces how far it got
// even when its filter sent nothing; the request timeout does not cut a healthy stream; closing
// the app ends every stream at once.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FEED_EVENT_TYPES } from '../../src/contract/event-feed.js'
import { START_OF_FEED } from '../../src/domain/event-stream-query.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { platformFor, type Platform } from '../support/lifecycle.js'
import { settleFeed } from '../support/feed.js'
import { eventSource, listen, openRaw } from '../support/sse.js'
import { describeEachStore, openTestStore, type TestStore } from '../support/stores.js'

const STREAM = '/v2/system/events/stream'
const SECRET = 'event-stream-life-secret-0123456789abcdef'

/** Creates and moves tickets until `signal` aborts; several of these commit concurrently. */
async function keepWriting(platform: Platform, signal: AbortSignal): Promise<number> {
  let writes = 0
  while (!signal.aborted) {
    const ticket = await platform.create()
    await platform.act(ticket.id, 'join', { operator_id: OPERATOR_Y })
    await platform.act(ticket.id, writes % 2 === 0 ? 'close' : 'release', {})
    writes += 3
  }
  return writes
}

describeEachStore('live streams end and resume', (ctx) => {
  let app: FastifyInstance
  let base: string
  let a: Platform
  let reader: string

  beforeAll(async () => {
    // Streams live 240–300 ms here, so a few seconds see many reconnects.
    app = await createTestApp(ctx.store, {
      signingSecret: SECRET,
      streams: { heartbeatMs: 50, retryMs: 10, maxMs: 300 },
      // An EventSource closed while reconnecting can leave a socket that never sends a request:
      // the headers timeout drops it, rather than Node's 60 s default holding app.close().
      server: { requestTimeoutMs: 5_000, headersTimeoutMs: 2_000, keepAliveTimeoutMs: 5_000, maxConnections: 1_000 },
    })
    base = await listen(app)
    a = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
    reader = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
    await a.create()
  })
  afterAll(async () => {
    await app.close()
  })

  it('an EventSource reconnecting with Last-Event-ID across many server-ended streams receives every event once, in feed order', async () => {
    const source = eventSource(`${base}${STREAM}`, () => reader)
    const received: string[] = []
    let opens = 0
    let start: string | undefined
    source.addEventListener('open', () => (opens += 1))
    source.addEventListener('stream.position', (event) => (start ??= event.lastEventId))
    for (const type of FEED_EVENT_TYPES) source.addEventListener(type, (event) => received.push(event.lastEventId))
    try {
      await expect.poll(() => start, { timeout: 10_000 }).toBeDefined()
      const writing = new AbortController()
      const writers = Promise.all([1, 2, 3].map(() => keepWriting(a, writing.signal)))
      await new Promise((resolve) => setTimeout(resolve, 2_500))
      writing.abort()
      const written = (await writers).reduce((sum, n) => sum + n, 0)
      await settleFeed(ctx.store, [PROVIDER_A])
      // On PostgreSQL another suite's open transaction can hold the fence back, so the stream may
      // start before the last event written so far, even at the start of the feed.
      const after = start === START_OF_FEED ? '' : `&after_id=${start}`
      const response = await app.inject({ method: 'GET', url: `/v2/system/events?limit=1000${after}`, headers: bearer(reader) })
      const expected = (response.json().result as Array<{ id: string }>).map((e) => e.id)
      expect(expected.length).toBeGreaterThanOrEqual(written)
      await expect.poll(() => received.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(expected.length)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(received).toEqual(expected)
      expect(opens).toBeGreaterThan(3)
    } finally {
      source.close()
    }
  })

  it('ends a stream after its lifetime with its position, even when its filter sent nothing', async () => {
    const stream = await openRaw(`${base}${STREAM}?type=webhook.*`, bearer(reader))
    const ticket = await a.create()
    await settleFeed(ctx.store, [PROVIDER_A])
    const startedAt = Date.now()
    expect(await stream.ended(5_000)).toBe(true)
    expect(Date.now() - startedAt).toBeLessThan(1_000)
    const blocks = stream.blocks()
    const last = (await app.inject({ method: 'GET', url: `/v2/system/events?ticket_id=${ticket.id}`, headers: bearer(reader) })).json()
      .result[0].id as string
    expect(blocks.at(-2)).toEqual({ id: last, event: 'stream.position', data: JSON.stringify({ after_id: last }), comments: [] })
    expect(blocks.at(-1)).toEqual({ comments: ['the server ends this stream: reconnect with Last-Event-ID to resume'] })
    expect(blocks.filter((b) => b.event !== undefined && b.event !== 'stream.position')).toEqual([])
  })
})

describe('live streams and the server’s limits', () => {
  let offset = 0
  let testStore: TestStore
  let app: FastifyInstance
  let base: string
  let token: string

  beforeAll(async () => {
    testStore = await openTestStore('embedded')
    app = await createTestApp(testStore.store, {
      signingSecret: SECRET,
      // Timeouts sized for ordinary requests, far shorter than the stream's life.
      server: { requestTimeoutMs: 1_000, headersTimeoutMs: 1_000, keepAliveTimeoutMs: 1_000, maxConnections: 100 },
      streams: { heartbeatMs: 200, maxMs: 60_000 },
      // A clock the test can move forward, to bring a token close to its expiry.
      clock: () => new Date(Date.now() + offset),
    })
    base = await listen(app)
    token = await tokenFor(app, testStore.store, PROVIDER_B, ['tickets:read'])
  })
  afterAll(async () => {
    await app.close()
    await testStore.dispose()
  })

  it('keeps a healthy stream open past the request and idle timeouts', async () => {
    const stream = await openRaw(`${base}${STREAM}`, bearer(token))
    try {
      expect(await stream.ended(3_000)).toBe(false)
      const beats = stream.blocks().filter((b) => b.comments.includes('keep-alive')).length
      await stream.until((blocks) => blocks.filter((b) => b.comments.includes('keep-alive')).length > beats, 2_000)
    } finally {
      stream.close()
    }
  })

  it('ends a stream when its access token expires', async () => {
    const expiring = await tokenFor(app, testStore.store, PROVIDER_B, ['tickets:read'])
    // Tokens last an hour: one second before the end, the stream lasts one second.
    offset = 3_599_000
    try {
      const stream = await openRaw(`${base}${STREAM}`, bearer(expiring))
      const startedAt = Date.now()
      expect(await stream.ended(5_000)).toBe(true)
      expect(Date.now() - startedAt).toBeLessThan(2_500)
      expect(stream.blocks().at(-1)).toEqual({ comments: ['the server ends this stream: reconnect with Last-Event-ID to resume'] })
    } finally {
      offset = 0
    }
  })

  it('ends every stream at once when the app closes', async () => {
    const streams = await Promise.all([1, 2].map(() => openRaw(`${base}${STREAM}`, bearer(token))))
    await Promise.all(streams.map((s) => s.until((b) => b.some((block) => block.event === 'stream.position'))))
    const startedAt = Date.now()
    await app.close()
    expect(await Promise.all(streams.map((s) => s.ended(2_000)))).toEqual([true, true])
    expect(Date.now() - startedAt).toBeLessThan(2_000)
    for (const stream of streams)
      expect(stream.blocks().at(-1)).toEqual({ comments: ['the server ends this stream: reconnect with Last-Event-ID to resume'] })
  })
})
