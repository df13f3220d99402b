// Rate limits as a partner meets them: the IETF RateLimit-Policy / RateLimit fields on every
// authenticated /v2 response, a 429 problem with Retry-After past the quota, separate quotas
// per API client, per token-request client id and per source address, counts shared through
// Redis across processes, and requests that still pass (uncounted) while Redis is away.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RateLimitSettings } from '../../src/http/rate-limits.js'
import { bearer, createClient, createTestApp, requestToken, tokenFor } from '../support/api.js'
import { PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { openTestStore, type TestStore } from '../support/stores.js'

const LIST = '/v2/tickets/tickets?limit=1'
const REDIS_URL = process.env.TICKETS_TEST_REDIS_URL

let opened: TestStore
beforeAll(async () => {
  opened = await openTestStore('embedded')
})
afterAll(async () => {
  await opened.dispose()
})

async function appWith(rateLimits: RateLimitSettings): Promise<FastifyInstance> {
  return createTestApp(opened.store, { rateLimits })
}

describe('per API client on /v2', () => {
  let app: FastifyInstance
  beforeAll(async () => {
    app = await appWith({ perClient: 3, tokenPerClient: 0, tokenPerAddress: 0 })
  })
  afterAll(() => app.close())

  it('announces the quota and what is left on every response, then answers 429 with Retry-After', async () => {
    const token = await tokenFor(app, opened.store, PROVIDER_A, ['tickets:read'])
    const responses = []
    for (let i = 0; i < 4; i++) responses.push(await app.inject({ method: 'GET', url: LIST, headers: bearer(token) }))
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 429])
    for (const response of responses) expect(response.headers['ratelimit-policy']).toBe('"client";q=3;w=60')
    const remaining = responses.map((r) => /^"client";r=(\d+);t=(\d+)$/.exec(String(r.headers['ratelimit']))?.[1])
    expect(remaining).toEqual(['2', '1', '0', '0'])
    const refused = responses[3]!
    const retryAfter = Number(refused.headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(refused.json()).toMatchObject({ status: 429, title: 'Too Many Requests', code: 'rate-limited' })
    expect(refused.json().detail).toMatch(/more than 3 requests in 60 s/)
  })

  it('counts each API client on its own', async () => {
    const first = await tokenFor(app, opened.store, PROVIDER_A, ['tickets:read'])
    const second = await tokenFor(app, opened.store, PROVIDER_B, ['tickets:read'])
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: LIST, headers: bearer(first) })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: LIST, headers: bearer(first) })).statusCode).toBe(429)
    expect((await app.inject({ method: 'GET', url: LIST, headers: bearer(second) })).statusCode).toBe(200)
  })

  it('adds no fields to unauthenticated answers and to the probes', async () => {
    const anonymous = await app.inject({ method: 'GET', url: LIST })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['ratelimit']).toBeUndefined()
    expect((await app.inject({ method: 'GET', url: '/healthz' })).headers['ratelimit']).toBeUndefined()
  })
})

describe('on the token endpoint', () => {
  it('limits each source address, before reading the body', async () => {
    const app = await appWith({ perClient: 0, tokenPerClient: 0, tokenPerAddress: 2 })
    try {
      const { clientId, secret } = await createClient(opened.store, PROVIDER_A)
      const statuses = []
      for (let i = 0; i < 3; i++) statuses.push((await requestToken(app, clientId, secret)).statusCode)
      expect(statuses).toEqual([200, 200, 429])
      // Another address has its own quota.
      const elsewhere = await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        remoteAddress: '198.51.100.7',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
      })
      expect(elsewhere.statusCode).toBe(200)
      const refused = await requestToken(app, clientId, secret)
      expect(refused.json()).toMatchObject({ code: 'rate-limited', error: 'invalid_request' })
      expect(refused.headers['ratelimit-policy']).toBe('"token-address";q=2;w=60')
    } finally {
      await app.close()
    }
  })

  it('limits each claimed client id, so guessing one secret from many addresses meets it', async () => {
    const app = await appWith({ perClient: 0, tokenPerClient: 2, tokenPerAddress: 0 })
    try {
      const target = await createClient(opened.store, PROVIDER_A)
      const other = await createClient(opened.store, PROVIDER_A)
      const guess = (i: number) =>
        app.inject({
          method: 'POST',
          url: '/oauth2/token',
          remoteAddress: `203.0.113.${i}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: target.clientId,
            client_secret: `guess-${i}`,
          }).toString(),
        })
      expect([(await guess(1)).statusCode, (await guess(2)).statusCode, (await guess(3)).statusCode]).toEqual([401, 401, 429])
      // Even the right secret waits for the window now; another client is unaffected.
      expect((await requestToken(app, target.clientId, target.secret)).statusCode).toBe(429)
      expect((await requestToken(app, other.clientId, other.secret)).statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })
})

describe.skipIf(!REDIS_URL)('shared through Redis [set TICKETS_TEST_REDIS_URL to run]', () => {
  it('counts one client across two server processes', async () => {
    // A fresh provider-independent client each run, so earlier runs' counts never interfere.
    const settings = { perClient: 5, tokenPerClient: 0, tokenPerAddress: 0, redisUrl: REDIS_URL }
    const one = await appWith(settings)
    const two = await appWith(settings)
    try {
      const token = await tokenFor(one, opened.store, PROVIDER_A, ['tickets:read'])
      const statuses = []
      for (let i = 0; i < 6; i++)
        statuses.push((await (i % 2 ? two : one).inject({ method: 'GET', url: LIST, headers: bearer(token) })).statusCode)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
    } finally {
      await one.close()
      await two.close()
    }
  })
})

describe('while Redis is unreachable', () => {
  it('lets requests through, uncounted, without waiting for it', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const app = await appWith({
      perClient: 1,
      tokenPerClient: 0,
      tokenPerAddress: 0,
      redisUrl: `redis://127.0.0.1:1/0?unused=${randomUUID()}`,
    })
    try {
      const token = await tokenFor(app, opened.store, PROVIDER_A, ['tickets:read'])
      for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: LIST, headers: bearer(token) })).statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })
})
