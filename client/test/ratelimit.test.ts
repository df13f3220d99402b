// Rate limits: the RateLimit / RateLimit-Policy fields of draft-ietf-httpapi-ratelimit-headers
// parsed as Structured Field lists, 429s waited out (Retry-After first, then RateLimit's t when
// r=0), every wait capped by maxDelayMs and the caller's signal, and the last state seen
// exposed as client.rateLimit. Through a real proxy in front of the real API; the client's
// sleep records the delays asked for, so nothing waits for real.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTicketsClient, parseRateLimit, parseRateLimitPolicy, TicketsApiError, type TicketsClientOptions } from '../src/index.js'
import { PROVIDER_A, seedStore } from '../../test/support/fixtures.js'
import { manualClock, recordingSleep, startLiveApi, startProxy, type LiveApi, type Proxy, type ProxyAction } from './support.js'

const LIST = '/v2/tickets/tickets'
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected an error'),
    (error: unknown) => error,
  )

describe('parsing RateLimit and RateLimit-Policy', () => {
  it('reads each policy of RateLimit: its name, r and t', () => {
    expect(parseRateLimit('"default";r=0;t=7')).toEqual([{ policy: 'default', remaining: 0, resetSeconds: 7 }])
    expect(parseRateLimit('"burst";r=42;t=30 ,  "daily";r=900;t=3600;pk=:cHsdsRa894==:')).toEqual([
      { policy: 'burst', remaining: 42, resetSeconds: 30 },
      { policy: 'daily', remaining: 900, resetSeconds: 3600 },
    ])
    expect(parseRateLimit('"free";r=5')).toEqual([{ policy: 'free', remaining: 5, resetSeconds: undefined }])
    expect(parseRateLimit('burst;r=1;t=2;x="y\\"z";flag')).toEqual([{ policy: 'burst', remaining: 1, resetSeconds: 2 }])
  })

  it('skips a policy without a valid r, and ignores a field that is not a structured list', () => {
    expect(parseRateLimit('"a";t=7, "b";r=-1;t=7, "c";r=1.5, "d";r="3", "e";r=2;t=-5')).toEqual([
      { policy: 'e', remaining: 2, resetSeconds: undefined },
    ])
    for (const malformed of [
      '"default";r=0;t=7,',
      '"default;r=0',
      '"a";r=0 "b";r=1',
      '(1 2);r=0',
      'default;R=0',
      '"a";r=1234567890123456',
      '',
    ])
      expect(parseRateLimit(malformed), malformed).toEqual([])
    expect(parseRateLimit(null)).toEqual([])
  })

  it('reads RateLimit-Policy: name, q and w', () => {
    expect(parseRateLimitPolicy('"burst";q=100;w=60,"daily";q=1000;w=86400;qu="requests"')).toEqual([
      { policy: 'burst', quota: 100, windowSeconds: 60 },
      { policy: 'daily', quota: 1000, windowSeconds: 86400 },
    ])
    expect(parseRateLimitPolicy('"permanent";q=50, "broken";w=60')).toEqual([{ policy: 'permanent', quota: 50, windowSeconds: undefined }])
  })
})

describe('client rate limits', () => {
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

  const tooMany = (headers: Record<string, string>): ProxyAction => ({
    kind: 'answer',
    status: 429,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify({ type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Slow down.', code: 'rate-limited' }),
  })

  /** Answers the first `times` list requests with `action`, then forwards. */
  function limitFirst(times: number, action: ProxyAction) {
    let answered = 0
    proxy.plan = (request) =>
      request.method === 'GET' && request.path.startsWith(LIST) && answered++ < times ? action : { kind: 'forward' }
  }
  const listAttempts = () => proxy.seen.filter((r) => r.method === 'GET' && r.path.startsWith(LIST)).length

  it('waits the Retry-After of a 429, in seconds, before trying again', async () => {
    limitFirst(2, tooMany({ 'retry-after': '5', ratelimit: '"default";r=0;t=9' }))
    expect((await client().tickets.list({ limit: 2 })).result).toHaveLength(2)
    expect(listAttempts()).toBe(3)
    expect(waits.delays).toEqual([5000, 5000]) // Retry-After wins over RateLimit
  })

  it('without Retry-After, waits the t of an exhausted policy (r=0) in RateLimit', async () => {
    limitFirst(1, tooMany({ ratelimit: '"burst";r=0;t=7, "daily";r=10;t=3600' }))
    await client().tickets.list({ limit: 1 })
    expect(waits.delays).toEqual([7000])
    limitFirst(1, tooMany({ ratelimit: '"burst";r=0;t=7, "hourly";r=0;t=12' }))
    await client().tickets.list({ limit: 1 })
    expect(waits.delays).toEqual([7000, 12000]) // the longest of the exhausted ones
  })

  it('falls back to jittered backoff when neither field says how long', async () => {
    const silent: Array<Record<string, string>> = [
      {},
      { ratelimit: '"default";r=3;t=7' },
      { ratelimit: '"default";r=0' },
      { 'retry-after': 'soon', ratelimit: 'garbage;;' },
    ]
    for (const headers of silent) {
      limitFirst(1, tooMany(headers))
      await client().tickets.list({ limit: 1 })
    }
    expect(waits.delays).toEqual([50, 50, 50, 50])
  })

  it('does not sleep on a wait longer than maxDelayMs: it throws the 429 at once, saying how long was asked', async () => {
    const cases: Array<[Record<string, string>, number]> = [
      [{ 'retry-after': '86400' }, 86_400_000],
      [{ 'retry-after': 'Fri, 01 Jan 2100 00:00:00 GMT' }, Date.parse('2100-01-01T00:00:00Z') - Date.parse('2026-12-01T08:00:00Z')],
      [{ ratelimit: '"default";r=0;t=31' }, 31_000],
    ]
    for (const [headers, asked] of cases) {
      proxy.seen.length = 0
      limitFirst(10, tooMany(headers))
      const c = client({ clock: manualClock().now, retries: { max: 3, maxDelayMs: 30_000 } })
      await c.token()
      const error = (await failure(c.tickets.list())) as TicketsApiError
      expect(error).toBeInstanceOf(TicketsApiError)
      expect({ status: error.status, code: error.code, retryAfterMs: error.retryAfterMs }).toEqual({
        status: 429,
        code: 'rate-limited',
        retryAfterMs: asked,
      })
      expect(listAttempts()).toBe(1)
    }
    expect(waits.delays).toEqual([])
  })

  it('gives back the 429 with RateLimit’s wait once the retry budget is spent', async () => {
    limitFirst(10, tooMany({ ratelimit: '"default";r=0;t=2' }))
    const error = (await failure(client({ retries: 2 }).tickets.list())) as TicketsApiError
    expect(error).toMatchObject({ status: 429, retryAfterMs: 2000 })
    expect(listAttempts()).toBe(3)
    expect(waits.delays).toEqual([2000, 2000])
  })

  it("stops waiting at once when the caller's signal aborts (real sleep)", async () => {
    const c = createTicketsClient({ baseUrl: proxy.baseUrl, ...credentials })
    await c.token()
    limitFirst(10, tooMany({ ratelimit: '"default";r=0;t=25' }))
    const controller = new AbortController()
    const call = c.tickets.list({}, { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('caller gave up')), 50)
    await expect(call).rejects.toThrow('caller gave up')
    expect(listAttempts()).toBe(1)
  })

  it('exposes the last rate-limit state seen as client.rateLimit, with the policy’s quota and window', async () => {
    const clock = manualClock()
    const c = client({ clock: clock.now })
    expect(c.rateLimit).toBeUndefined()
    await c.tickets.list({ limit: 1 })
    expect(c.rateLimit).toBeUndefined() // nothing said so far
    proxy.plan = () => ({
      kind: 'forward',
      headers: { 'ratelimit-policy': '"burst";q=100;w=60, "daily";q=5000;w=86400', ratelimit: '"burst";r=42;t=30, "daily";r=4100;t=50000' },
    })
    await c.tickets.list({ limit: 1 })
    expect(c.rateLimit).toEqual({
      policy: 'burst',
      remaining: 42,
      resetAt: new Date(clock.now().getTime() + 30_000),
      limit: 100,
      windowSeconds: 60,
      observedAt: clock.now(),
    })
    clock.advance(1000)
    proxy.plan = () => ({ kind: 'forward', headers: { ratelimit: '"daily";r=7' } })
    await c.tickets.list({ limit: 1 })
    expect(c.rateLimit).toEqual({
      policy: 'daily',
      remaining: 7,
      resetAt: undefined,
      limit: undefined,
      windowSeconds: undefined,
      observedAt: clock.now(),
    })
    proxy.plan = () => ({ kind: 'forward' })
    await c.tickets.list({ limit: 1 })
    expect(c.rateLimit?.remaining).toBe(7) // a response without the field changes nothing
  })
})
