// Retries through a real HTTP proxy in front of the real API: 503/429 with Retry-After a set
// number of times, dropped connections, lost answers, attempts that time out. The client's
// sleep is replaced by one that records the delay asked for, so no test waits for real.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTicketsClient, TicketsApiError, TicketsNetworkError, type TicketsClientOptions } from '../src/index.js'
import { PROVIDER_A, seedStore, ticketsOf } from '../../test/support/fixtures.js'
import { manualClock, recordingSleep, startLiveApi, startProxy, type LiveApi, type Proxy, type ProxyAction } from './support.js'

const LIST = '/v2/tickets/tickets'
const TOKEN = '/oauth2/token'
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected an error'),
    (error: unknown) => error,
  )

const unavailable = (retryAfter?: string, status = 503): ProxyAction => ({
  kind: 'answer',
  status,
  headers: { 'content-type': 'application/problem+json', ...(retryAfter ? { 'retry-after': retryAfter } : {}) },
  body: JSON.stringify({
    type: 'about:blank',
    title: 'Service Unavailable',
    status,
    detail: 'Try again later.',
    code: 'store-unavailable',
  }),
})

describe('client retries', () => {
  let api: LiveApi
  let proxy: Proxy
  let credentials: { clientId: string; clientSecret: string }
  let waits: ReturnType<typeof recordingSleep>

  beforeAll(async () => {
    api = await startLiveApi(seedStore)
    proxy = await startProxy(api.baseUrl)
    credentials = await api.credentials(PROVIDER_A)
  })
  afterAll(async () => {
    await proxy?.close()
    await api?.close()
  })
  beforeEach(() => {
    proxy.seen.length = 0
    proxy.plan = () => ({ kind: 'forward' })
    waits = recordingSleep()
  })

  const client = (options: Partial<TicketsClientOptions> = {}) =>
    createTicketsClient({
      baseUrl: proxy.baseUrl,
      ...credentials,
      sleep: waits.sleep,
      random: () => 0.5,
      retries: { max: 3, baseDelayMs: 100 },
      ...options,
    })

  /** Answers the first `times` requests to `path` with `action`, then forwards. */
  function failFirst(path: string, times: number, action: (n: number) => ProxyAction, method = 'GET') {
    let failed = 0
    proxy.plan = (request) =>
      request.method === method && request.path.split('?')[0] === path && failed < times ? action(failed++) : { kind: 'forward' }
  }

  const attemptsAt = (method: string, path: string) => proxy.seen.filter((r) => r.method === method && r.path.split('?')[0] === path).length

  it('retries a 503 with Retry-After in seconds, waiting as long as it asks', async () => {
    failFirst(LIST, 2, () => unavailable('1'))
    const page = await client().tickets.list({ limit: 3 })
    expect(page.result).toHaveLength(3)
    expect(attemptsAt('GET', LIST)).toBe(3)
    expect(waits.delays).toEqual([1000, 1000])
  })

  it('retries a 429 whose Retry-After is an HTTP date, measured on the client clock', async () => {
    const clock = manualClock(new Date('2026-12-01T08:00:00Z'))
    failFirst(LIST, 1, () => unavailable('Tue, 01 Dec 2026 08:00:03 GMT', 429))
    await client({ clock: clock.now }).tickets.list({ limit: 1 })
    expect(waits.delays).toEqual([3000])
  })

  it('backs off exponentially with full jitter on 502, 504 and 503 without Retry-After', async () => {
    failFirst(LIST, 3, (n) => unavailable(undefined, [502, 504, 503][n]))
    await client().tickets.list({ limit: 1 })
    expect(attemptsAt('GET', LIST)).toBe(4)
    // random() = 0.5 of a ceiling of 100, 200, 400 ms
    expect(waits.delays).toEqual([50, 100, 200])
  })

  it('retries the token request too', async () => {
    failFirst(TOKEN, 1, () => unavailable('2'), 'POST')
    await client().tickets.list({ limit: 1 })
    expect(attemptsAt('POST', TOKEN)).toBe(2)
    expect(waits.delays).toEqual([2000])
  })

  it('throws the last answer once the retry budget is spent, with its Retry-After', async () => {
    failFirst(LIST, 10, () => unavailable('1', 429))
    const error = (await failure(client({ retries: 2 }).tickets.list())) as TicketsApiError
    expect(error).toBeInstanceOf(TicketsApiError)
    expect(error.status).toBe(429)
    expect(error.retryAfterMs).toBe(1000)
    expect(attemptsAt('GET', LIST)).toBe(3)
  })

  it('does not wait for a Retry-After longer than maxDelayMs: it throws at once', async () => {
    failFirst(LIST, 10, () => unavailable('120'))
    const error = (await failure(client({ retries: { max: 3, maxDelayMs: 60_000 } }).tickets.list())) as TicketsApiError
    expect(error.status).toBe(503)
    expect(error.retryAfterMs).toBe(120_000)
    expect(attemptsAt('GET', LIST)).toBe(1)
    expect(waits.delays).toEqual([])
  })

  it('never retries a 500 or a 4xx other than 429', async () => {
    failFirst(LIST, 10, () => unavailable(undefined, 500))
    expect(((await failure(client().tickets.list())) as TicketsApiError).status).toBe(500)
    expect(attemptsAt('GET', LIST)).toBe(1)
    proxy.seen.length = 0
    proxy.plan = () => ({ kind: 'forward' })
    expect(((await failure(client().tickets.list({ limit: 5000 }))) as TicketsApiError).status).toBe(400)
    expect(((await failure(client().tickets.get('not-a-uuid'))) as TicketsApiError).status).toBe(400)
    expect(attemptsAt('GET', LIST)).toBe(1)
    expect(waits.delays).toEqual([])
  })

  it('retries when the connection drops before an answer', async () => {
    failFirst(LIST, 1, () => ({ kind: 'drop' }))
    expect((await client().tickets.list({ limit: 2 })).result).toHaveLength(2)
    expect(attemptsAt('GET', LIST)).toBe(2)
    expect(waits.delays).toEqual([50])
  })

  it('gives up an attempt after timeoutMs and tries again', async () => {
    failFirst(LIST, 1, () => ({ kind: 'hang' }))
    // Generous: the second attempt must finish within it even on a loaded shared machine.
    expect((await client({ timeoutMs: 8000 }).tickets.list({ limit: 2 })).result).toHaveLength(2)
    expect(attemptsAt('GET', LIST)).toBe(2)
  })

  it('throws TicketsNetworkError saying it timed out when every attempt does', async () => {
    proxy.plan = () => ({ kind: 'hang' })
    const error = (await failure(client({ timeoutMs: 200, retries: 1 }).tickets.list())) as TicketsNetworkError
    expect(error).toBeInstanceOf(TicketsNetworkError)
    expect(error.timedOut).toBe(true)
    expect(error.attempts).toBe(2)
    expect(error.message).toBe(`POST ${proxy.baseUrl}${TOKEN} got no response (timed out) after 2 attempts`)
  })

  it("stops at once when the caller's signal aborts, while waiting or while a request runs", async () => {
    const waiting = new AbortController()
    failFirst(LIST, 10, () => unavailable('1'))
    const c = client({
      sleep: (ms, signal) => {
        waiting.abort(new Error('caller gave up'))
        return waits.sleep(ms, signal)
      },
    })
    await c.token()
    await expect(c.tickets.list({}, { signal: waiting.signal })).rejects.toThrow('caller gave up')
    expect(attemptsAt('GET', LIST)).toBe(1)

    proxy.plan = () => ({ kind: 'hang' })
    const running = new AbortController()
    const call = c.tickets.list({}, { signal: running.signal })
    setTimeout(() => running.abort(new Error('caller gave up again')), 50)
    await expect(call).rejects.toThrow('caller gave up again')
  })

  it('retries a PATCH whose answer was lost: it is idempotent, so applying it twice is the same', async () => {
    const id = ticketsOf(PROVIDER_A)[2]!.id
    failFirst(`${LIST}/${id}`, 1, () => ({ kind: 'lose-response' }), 'PATCH')
    const { ticket } = await client().tickets.update(id, { externally_processed: true, external_reference: 'INV-1' })
    expect(attemptsAt('PATCH', `${LIST}/${id}`)).toBe(2)
    expect(ticket).toMatchObject({ id, externally_processed: true, external_reference: 'INV-1' })
  })

  it('with If-Match, reads a retried PATCH back instead of failing on the 412 its own first attempt caused', async () => {
    const c = client()
    const id = ticketsOf(PROVIDER_A)[3]!.id
    const { etag } = await c.tickets.getWithEtag(id)
    failFirst(`${LIST}/${id}`, 1, () => ({ kind: 'lose-response' }), 'PATCH')
    const updated = await c.tickets.update(id, { external_reference: 'INV-2' }, { ifMatch: etag! })
    expect(updated.ticket.external_reference).toBe('INV-2')
    expect(updated.etag).not.toBe(etag)
    expect(proxy.seen.slice(-3).map((r) => r.method)).toEqual(['PATCH', 'PATCH', 'GET'])
  })
})
