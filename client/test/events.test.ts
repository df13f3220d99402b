// client.events against the real server on loopback, on each store: `list` is one page and says
// how to go on, `iterate` walks every page with filters until caught up, `follow` receives what
// is committed while it waits, resumes across a server restart and 503s with nothing skipped or
// repeated, stops on abort, and throws EventsExpiredError on a 410 instead of skipping the gap.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createTicketsClient,
  EventsExpiredError,
  TicketsApiError,
  TicketsNetworkError,
  type FeedEvent,
  type FollowRetry,
  type TicketsClient,
  type TicketsClientOptions,
} from '../src/index.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B } from '../../test/support/fixtures.js'
import { settleFeed } from '../../test/support/feed.js'
import { STORE_KINDS } from '../../test/support/stores.js'
import { recordingFetch, startLiveApi, startProxy, type LiveApi } from './support.js'

const MANAGE = ['tickets:read', 'tickets:write', 'tickets:manage'] as const
const DAY_MS = 86_400_000

/** `ticket-id type`: what an event says happened, comparable with what the test did. */
const what = (event: FeedEvent) => `${'ticket' in event.payload ? event.payload.ticket.id : '-'} ${event.type}`

/** Runs an iterable in the background, collecting what it yields; `ended` settles with its error (or undefined). */
function consume(iterable: AsyncIterable<FeedEvent>) {
  const seen: FeedEvent[] = []
  const ended = (async () => {
    for await (const event of iterable) seen.push(event)
  })().then(
    () => undefined,
    (error: unknown) => error,
  )
  return { seen, ended }
}

/** A client sleep that waits a moment, or until resumed while paused; it honours the signal either way. */
function pausableSleep() {
  const delays: number[] = []
  let gate: Promise<void> | undefined
  let open = () => {}
  return {
    delays,
    pause() {
      gate = new Promise((resolve) => (open = resolve))
    },
    resume() {
      gate = undefined
      open()
    },
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      delays.push(ms)
      const wait = gate ?? new Promise<void>((resolve) => setTimeout(resolve, 1))
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason)
        const onAbort = () => reject(signal!.reason)
        signal?.addEventListener('abort', onAbort, { once: true })
        void wait.then(() => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        })
      })
    },
  }
}

const soon = { timeout: 20_000, interval: 20 }

for (const kind of STORE_KINDS)
  describe(`client events [${kind}]`, () => {
    let api: LiveApi
    let platform: TicketsClient
    let reader: TicketsClient
    let readerCredentials: { clientId: string; clientSecret: string }
    const recorder = recordingFetch()
    /** What A's feed must hold, in commit order (`ticket-id type`). */
    const expected: string[] = []
    const tickets: string[] = []

    const later = () => api.clock.advance(1000)
    async function create(client = platform): Promise<string> {
      later()
      const { ticket } = await client.tickets.create({ customer_id: CUSTOMER_X, vehicle_model_id: 4711, vin: 'WVWZZZ1JZXW000001' })
      if (client === platform) expected.push(`${ticket.id} tickets.ticket.created`)
      return ticket.id
    }
    async function act(id: string, action: 'join' | 'close' | 'cancel'): Promise<void> {
      later()
      if (action === 'join') await platform.tickets.join(id, { operator_id: OPERATOR_Y })
      else if (action === 'close') await platform.tickets.close(id)
      else await platform.tickets.cancel(id, { cancel_reason_id: 1 })
      expected.push(`${id} tickets.ticket.${action === 'join' ? 'joined' : action === 'close' ? 'closed' : 'cancelled'}`)
    }
    const settled = () => settleFeed(api.store, [PROVIDER_A])
    /** A reading client of A with options of its own (a recording fetch, a test sleep, no transport retries). */
    const follower = (options: Partial<TicketsClientOptions> = {}) =>
      createTicketsClient({ baseUrl: api.baseUrl, ...readerCredentials, ...options })
    /** The id of A's newest event, once the feed serves everything committed. */
    async function newestId(): Promise<string | undefined> {
      await settled()
      return (await reader.events.list({ limit: 1000 })).nextAfterId
    }

    beforeAll(async () => {
      api = await startLiveApi(undefined, { kind })
      platform = createTicketsClient({ baseUrl: api.baseUrl, ...(await api.credentials(PROVIDER_A, [...MANAGE])) })
      const other = createTicketsClient({ baseUrl: api.baseUrl, ...(await api.credentials(PROVIDER_B, [...MANAGE])) })
      readerCredentials = await api.credentials(PROVIDER_A, ['tickets:read'])
      reader = createTicketsClient({ baseUrl: api.baseUrl, ...readerCredentials, fetch: recorder.fetch })
      // A: one ticket created, joined, closed; one created and cancelled; ten more created. B: one, never in A's feed.
      tickets.push(await create())
      await act(tickets[0]!, 'join')
      await act(tickets[0]!, 'close')
      tickets.push(await create())
      await create(other)
      await act(tickets[1]!, 'cancel')
      for (let i = 0; i < 10; i++) tickets.push(await create())
      await settled()
    })
    afterAll(async () => {
      await api?.close()
    })

    it('list is one page: at most limit events, with nextAfterId and mayHaveMore saying how to go on', async () => {
      const first = await reader.events.list({ limit: 4 })
      expect(first.query).toEqual({ limit: 4, wait: 0 })
      expect(first.result.map(what)).toEqual(expected.slice(0, 4))
      expect(first).toMatchObject({ nextAfterId: first.result[3]!.id, mayHaveMore: true })
      const rest = await reader.events.list({ after_id: first.nextAfterId, limit: 100 })
      expect(rest.result.map(what)).toEqual(expected.slice(4))
      expect(rest.mayHaveMore).toBe(false)
      const caughtUp = await reader.events.list({ after_id: rest.nextAfterId })
      expect(caughtUp).toMatchObject({ result: [], nextAfterId: rest.nextAfterId, mayHaveMore: false })
      // Without a limit the server's default applies: 25, which these 15 events do not fill.
      expect((await reader.events.list()).query.limit).toBe(25)
      expect((await reader.events.list({ limit: 0 })).mayHaveMore).toBe(false)
    })

    it('list filters by type lists and prefix forms, ticket_id and occurred_after, combined freely', async () => {
      const ofTypes = await reader.events.list({ type: ['tickets.ticket.closed', 'tickets.ticket.cancelled'], limit: 100 })
      expect(ofTypes.result.map(what)).toEqual(expected.filter((e) => / tickets\.ticket\.(closed|cancelled)$/.test(e)))
      expect(ofTypes.query.type).toEqual(['tickets.ticket.closed', 'tickets.ticket.cancelled'])
      expect((await reader.events.list({ type: 'tickets.ticket.*', limit: 100 })).result.map(what)).toEqual(expected)
      expect((await reader.events.list({ type: 'webhook.*', limit: 100 })).result).toEqual([])
      const ofTicket = await reader.events.list({ ticket_id: tickets[0]!, limit: 100 })
      expect(ofTicket.result.map(what)).toEqual(expected.filter((e) => e.startsWith(tickets[0]!)))
      const firstAt = new Date(ofTicket.result[0]!.occurred_at)
      const combined = await reader.events.list({ type: 'tickets.ticket.created', occurred_after: firstAt, limit: 100 })
      expect(combined.result.map(what)).toEqual(expected.filter((e) => e.endsWith(' tickets.ticket.created')).slice(1))
    })

    it('refuses bad values before sending, and surfaces the API’s 400s', async () => {
      const before = recorder.requests.length
      await expect(reader.events.list({ limit: 1001 })).rejects.toThrow(RangeError)
      await expect(reader.events.list({ wait: 31 })).rejects.toThrow(RangeError)
      await expect(reader.events.list({ type: [] })).rejects.toThrow(RangeError)
      expect(recorder.requests.length).toBe(before)
      const unknown = await reader.events.list({ type: 'tickets.ticket.exploded' as 'tickets.*' }).catch((error: unknown) => error)
      expect(unknown).toBeInstanceOf(TicketsApiError)
      expect((unknown as TicketsApiError).status).toBe(400)
      const stray = await reader.events.list({ colour: 'red' } as object).catch((error: unknown) => error)
      expect((stray as TicketsApiError).code).toBe('invalid-query')
    })

    it('a long poll is given its wait on top of the client’s timeoutMs, and answers empty when the time is up', async () => {
      const client = follower({ timeoutMs: 1000, retries: 0 })
      const startedAt = Date.now()
      const page = await client.events.list({ after_id: await newestId(), wait: 2 })
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1900)
      expect(page).toMatchObject({ result: [], mayHaveMore: false, query: { wait: 2 } })
    })

    it('iterate walks every page until caught up, one request per page', async () => {
      const before = recorder.count('GET', '/v2/system/events')
      const walked: FeedEvent[] = []
      for await (const event of reader.events.iterate({}, { pageSize: 4 })) walked.push(event)
      expect(walked.map(what)).toEqual(expected)
      // 15 events in pages of 4: 4, 4, 4 and a short 3 that ends the walk.
      expect(recorder.count('GET', '/v2/system/events') - before).toBe(4)
      const paths = recorder.requests.slice(-4).map((r) => new URL(r.path, 'http://x').searchParams.get('after_id'))
      expect(paths).toEqual([null, walked[3]!.id, walked[7]!.id, walked[11]!.id])
    })

    it('iterate starts after after_id and keeps the filters on every page', async () => {
      const created = expected.filter((e) => e.endsWith(' tickets.ticket.created'))
      const all: FeedEvent[] = []
      for await (const event of reader.events.iterate({ type: 'tickets.ticket.created' }, { pageSize: 100 })) all.push(event)
      const walked: FeedEvent[] = []
      for await (const event of reader.events.iterate({ type: 'tickets.ticket.created', after_id: all[1]!.id }, { pageSize: 2 }))
        walked.push(event)
      expect(walked.map(what)).toEqual(created.slice(2))
      for (const request of recorder.requests.slice(-5)) expect(request.path).toContain('type=tickets.ticket.created')
    })

    it('iterate and follow refuse limit and wait in the query (their options set them)', async () => {
      const walk = reader.events.iterate({ limit: 5 } as object)
      await expect(walk.next()).rejects.toThrow(/pageSize in the options/)
      expect(() => reader.events.follow({ wait: 5 } as object)).toThrow(/waitSeconds in the options/)
      expect(() => reader.events.follow({}, { waitSeconds: 31 })).toThrow(RangeError)
      expect(() => reader.events.follow({}, { pageSize: 0 })).toThrow(RangeError)
    })

    it('follow yields the events committed while it waits, holding one long poll at a time, and ends on abort', async () => {
      const counting = recordingFetch()
      const client = follower({ fetch: counting.fetch })
      const stop = new AbortController()
      const from = expected.length
      const last = await newestId()
      const { seen, ended } = consume(client.events.follow({ after_id: last }, { signal: stop.signal, waitSeconds: 20 }))
      await vi.waitFor(() => expect(counting.count('GET', '/v2/system/events')).toBe(1), soon)
      const id = await create()
      await act(id, 'join')
      await act(id, 'close')
      await vi.waitFor(() => expect(seen.map(what)).toEqual(expected.slice(from)), soon)
      const polls = counting.requests.filter((r) => r.path.startsWith('/v2/system/events'))
      expect(polls.every((r) => r.path.includes('wait=20'))).toBe(true)
      // Woken by commits, not polling: one request per commit at most (the first one held from the start).
      expect(polls.length).toBeLessThanOrEqual(4)
      const abortedAt = Date.now()
      stop.abort()
      expect(await ended).toBeUndefined()
      expect(Date.now() - abortedAt).toBeLessThan(2000)
      expect(seen).toHaveLength(3)
    })

    it('follow resumes after a server restart from the last id it yielded: nothing skipped, nothing repeated', async () => {
      const pacing = pausableSleep()
      const retries: FollowRetry[] = []
      // No retries in the transport: the follower's own loop must carry it through the outage.
      const client = follower({ retries: 0, sleep: pacing.sleep })
      const stop = new AbortController()
      const from = expected.length
      const last = await newestId()
      const options = { signal: stop.signal, waitSeconds: 5, onRetry: (retry: FollowRetry) => void retries.push(retry) }
      const { seen, ended } = consume(client.events.follow({ after_id: last }, options))
      const beforeStop = [await create(), await create()]
      await vi.waitFor(() => expect(seen).toHaveLength(2), soon)
      pacing.pause()
      await api.stop()
      // The held poll was answered as the server closed; the next one finds nothing listening.
      await vi.waitFor(() => expect(retries.length).toBeGreaterThan(0), soon)
      expect(retries[0]!.error).toBeInstanceOf(TicketsNetworkError)
      expect(retries[0]!.afterId).toBe(seen[1]!.id)
      await api.start()
      // Committed while the follower is still backing off: it must come back for these.
      const whileAway = [await create(), await create()]
      await act(whileAway[0]!, 'join')
      pacing.resume()
      await vi.waitFor(() => expect(seen).toHaveLength(5), soon)
      const afterwards = await create()
      await vi.waitFor(() => expect(seen).toHaveLength(6), soon)
      stop.abort()
      expect(await ended).toBeUndefined()
      expect(seen.map(what)).toEqual(expected.slice(from))
      expect(new Set(seen.map((e) => e.id)).size).toBe(6)
      expect([...beforeStop, ...whileAway, afterwards].every((id) => seen.some((e) => what(e).startsWith(id)))).toBe(true)
    })

    it('follow waits out 503s as the server asks (Retry-After), then goes on', async () => {
      const proxy = await startProxy(api.baseUrl)
      try {
        const pacing = pausableSleep()
        const retries: FollowRetry[] = []
        const client = createTicketsClient({ baseUrl: proxy.baseUrl, ...readerCredentials, retries: 0, sleep: pacing.sleep })
        let refused = 0
        proxy.plan = ({ path }) =>
          path.startsWith('/v2/system/events') && refused++ < 2
            ? { kind: 'answer', status: 503, headers: { 'retry-after': '7', 'content-type': 'text/plain' }, body: 'deploying' }
            : { kind: 'forward' }
        const stop = new AbortController()
        const last = await newestId()
        const from = expected.length
        const options = { signal: stop.signal, waitSeconds: 5, onRetry: (retry: FollowRetry) => void retries.push(retry) }
        const { seen, ended } = consume(client.events.follow({ after_id: last }, options))
        await create()
        await vi.waitFor(() => expect(seen.map(what)).toEqual(expected.slice(from)), soon)
        expect(retries.map((r) => [(r.error as TicketsApiError).status, r.failures, r.delayMs])).toEqual([
          [503, 1, 7000],
          [503, 2, 7000],
        ])
        stop.abort()
        expect(await ended).toBeUndefined()
      } finally {
        await proxy.close()
      }
    })

    it('follow stops quietly when aborted during a backoff wait, with the server gone', async () => {
      const pacing = pausableSleep()
      pacing.pause()
      const client = follower({ retries: 0, sleep: pacing.sleep })
      const stop = new AbortController()
      await api.stop()
      try {
        const { seen, ended } = consume(client.events.follow({}, { signal: stop.signal }))
        await vi.waitFor(() => expect(pacing.delays.length).toBeGreaterThan(0), soon)
        stop.abort()
        expect(await ended).toBeUndefined()
        expect(seen).toEqual([])
      } finally {
        pacing.resume()
        await api.start()
      }
    })

    // Last: it moves the server's clock a month on.
    it('throws EventsExpiredError on a 410, from follow, iterate and list alike, instead of skipping the gap', async () => {
      const last = (await newestId())!
      api.clock.advance(31 * DAY_MS)
      expect(await api.store.purgeEventsBefore(new Date(api.clock.now().getTime() - 30 * DAY_MS))).toBeGreaterThan(0)
      const counting = recordingFetch()
      const client = follower({ fetch: counting.fetch })
      const { seen, ended } = consume(client.events.follow({ after_id: last }, { waitSeconds: 1 }))
      const error = (await ended) as EventsExpiredError
      expect(error).toBeInstanceOf(EventsExpiredError)
      expect(error).toBeInstanceOf(TicketsApiError)
      expect({ status: error.status, code: error.code, afterId: error.afterId }).toEqual({
        status: 410,
        code: 'events-expired',
        afterId: last,
      })
      expect(error.message).toMatch(/resynchronise from the ticket lists/)
      expect(seen).toEqual([])
      // Thrown at once: a 410 is not waited out.
      expect(counting.count('GET', '/v2/system/events')).toBe(1)
      await expect(reader.events.iterate({ after_id: last }).next()).rejects.toBeInstanceOf(EventsExpiredError)
      await expect(reader.events.list({ after_id: last })).rejects.toBeInstanceOf(EventsExpiredError)
    })
  })
