// Routing errors, request ids, health probes, and the 503 answers of an unavailable store.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenService } from '../../src/auth/tokens.js'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { EDGE_TICKETS, PROVIDER_A, seedStore } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

const LIST = '/v2/tickets/tickets'
const ONE = `/v2/tickets/tickets/${EDGE_TICKETS[0]!.id}`
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const UNAVAILABLE = { type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'store-unavailable' }

// Every error body seen in this file; none may leak internals (checked at the end of each suite).
const bodies: string[] = []

function expectProblem(response: LightMyRequestResponse, status: number, body: Record<string, unknown>) {
  bodies.push(response.body)
  expect(response.statusCode).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
  expect(response.json()).toEqual({ type: 'about:blank', status, ...body })
}

function expectUnavailable(response: LightMyRequestResponse) {
  bodies.push(response.body)
  expect(response.statusCode).toBe(503)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
  expect(response.json()).toEqual({ ...UNAVAILABLE, detail: expect.stringMatching(/^The ticket store /) })
  expect(response.headers['retry-after']).toMatch(/^\d+$/)
}

function expectNoInternals() {
  expect(bodies.length).toBeGreaterThan(0)
  for (const body of bodies) {
    expect(body).not.toMatch(/\bat .+:\d+:\d+/) // stack frames
    expect(body).not.toMatch(/node_modules|\.ts:\d|\.js:\d/)
    expect(body).not.toMatch(/\b(SELECT|INSERT|UPDATE|FROM|WHERE)\b/)
    expect(body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres:\/\/|PGlite|kysely/i)
  }
}

describeEachStore(
  'routing errors, request ids and health',
  (ctx) => {
    let app: FastifyInstance
    let token: string

    beforeAll(async () => {
      app = await createTestApp(ctx.store)
      token = await tokenFor(app, ctx.store, PROVIDER_A)
    })
    afterAll(async () => {
      await app.close()
    })

    it('answers an unknown route with a not-found problem', async () => {
      for (const url of ['/nope', '/v2/tickets', '/v2/tickets/tickets/abc/extra', '/v3/tickets/tickets?limit=1']) {
        const path = url.split('?')[0]
        expectProblem(await app.inject({ method: 'GET', url, headers: bearer(token) }), 404, {
          title: 'Not Found',
          code: 'not-found',
          detail: `There is no resource at ${path}.`,
        })
      }
    })

    it('answers a wrong method on a known path with 405, an Allow header and a problem', async () => {
      const cases: Array<[string, string, string[]]> = [
        ['DELETE', ONE, ['GET', 'PATCH']],
        ['PUT', ONE, ['GET', 'PATCH']],
        ['POST', ONE, ['GET', 'PATCH']],
        ['DELETE', LIST, ['GET', 'POST']],
        ['PUT', LIST, ['GET', 'POST']],
        ['PATCH', LIST, ['GET', 'POST']],
        ['GET', `${ONE}/join`, ['POST']],
        ['GET', '/oauth2/token', ['POST']],
      ]
      for (const [method, url, allowed] of cases) {
        const response = await app.inject({ method: method as 'GET', url, headers: bearer(token) })
        bodies.push(response.body)
        expect(response.statusCode, `${method} ${url}`).toBe(405)
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
        const allow = String(response.headers['allow']).split(/,\s*/)
        for (const m of allowed) expect(allow, `${method} ${url}`).toContain(m)
        expect(allow).not.toContain(method)
        expect(response.json()).toEqual({
          type: 'about:blank',
          title: 'Method Not Allowed',
          status: 405,
          code: 'method-not-allowed',
          detail: `${method} is not supported on ${url}; use ${String(response.headers['allow'])}.`,
        })
      }
    })

    it('gives every response an x-request-id, reusing a sane incoming one', async () => {
      const generated = await app.inject({ method: 'GET', url: '/healthz' })
      expect(generated.headers['x-request-id']).toMatch(UUID)
      const given = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'partner-req.42:abc_7' } })
      expect(given.headers['x-request-id']).toBe('partner-req.42:abc_7')
      const onError = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'trace-404' } })
      expect(onError.headers['x-request-id']).toBe('trace-404')
    })

    it('replaces an odd incoming x-request-id instead of echoing it', async () => {
      for (const odd of ['has spaces', '<script>', 'x'.repeat(129), 'quote"d']) {
        const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': odd } })
        expect(response.headers['x-request-id']).toMatch(UUID)
      }
    })

    it('answers /healthz with 200', async () => {
      const response = await app.inject({ method: 'GET', url: '/healthz' })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ status: 'ok' })
    })

    it('answers /readyz with 200 and the store kind', async () => {
      const response = await app.inject({ method: 'GET', url: '/readyz' })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ status: 'ready', store: ctx.kind })
    })

    describe('on a store that has been closed (shutdown)', () => {
      let closing: Store
      let closedApp: FastifyInstance
      let closedToken: string
      beforeAll(async () => {
        closing = await openStore({ databaseUrl: ctx.env.TICKETS_DATABASE_URL, dataDir: ctx.env.TICKETS_DATA_DIR ?? '', migrate: false })
        closedApp = await createTestApp(closing)
        closedToken = await tokenFor(closedApp, closing, PROVIDER_A)
        await closing.close()
      })
      afterAll(async () => {
        await closedApp.close()
      })

      it('answers /readyz with 503 store-unavailable', async () => {
        expectUnavailable(await closedApp.inject({ method: 'GET', url: '/readyz' }))
      })

      it('answers a list request with 503 store-unavailable, not 500', async () => {
        expectUnavailable(await closedApp.inject({ method: 'GET', url: LIST, headers: bearer(closedToken) }))
      })

      it('leaves the suite’s own store untouched', async () => {
        expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
      })
    })

    it('leaks no stack trace or SQL text in any error body', () => {
      expectNoInternals()
    })
  },
  seedStore,
)

describe('an unreachable database', () => {
  const secret = 'test-signing-secret-for-the-unreachable-store'
  let store: Store
  let app: FastifyInstance
  let token: string

  beforeAll(async () => {
    store = await openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:1/x', dataDir: '', migrate: false })
    app = await createTestApp(store, { signingSecret: secret })
    const issued = await new TokenService(secret, () => new Date()).issue({
      clientId: 'tc_any',
      providerId: PROVIDER_A,
      scopes: ['tickets:read'],
    })
    token = issued.accessToken
  })
  afterAll(async () => {
    await app.close()
    await store.close()
  })

  it('still answers /healthz: the process is alive', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
  })

  it('answers /readyz with a 503 store-unavailable problem and Retry-After', async () => {
    expectUnavailable(await app.inject({ method: 'GET', url: '/readyz' }))
  })

  it('answers a list request with a 503 store-unavailable problem and Retry-After', async () => {
    expectUnavailable(await app.inject({ method: 'GET', url: `${LIST}?limit=5`, headers: bearer(token) }))
  })

  it('answers a single-ticket request and a token request with 503 as well', async () => {
    expectUnavailable(await app.inject({ method: 'GET', url: ONE, headers: bearer(token) }))
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'tc_any', client_secret: 's' }).toString()
    expectUnavailable(
      await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form,
      }),
    )
  })

  it('leaks no stack trace, SQL text or connection detail in any error body', () => {
    expectNoInternals()
  })
})
