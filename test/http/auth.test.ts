// Bearer authentication on /v2 (RFC 6750): which tokens are accepted, and the 401/403 answers.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { bearer, createClient, createTestApp, requestToken, tokenFor } from '../support/api.js'
import { EDGE_TICKETS, PROVIDER_A, PROVIDER_B, seedStore } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

const LIST = '/v2/tickets/tickets?limit=1'
const ONE = `/v2/tickets/tickets/${EDGE_TICKETS[0]!.id}`
const MALFORMED_DETAIL = 'The access token is malformed or its signature is invalid.'

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>

function expectInvalidToken(response: LightMyRequestResponse, detail?: string) {
  expect(response.statusCode).toBe(401)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
  expect(response.json()).toMatchObject({
    type: 'about:blank',
    title: 'Unauthorized',
    status: 401,
    code: 'invalid-token',
    ...(detail ? { detail } : {}),
  })
  const challenge = String(response.headers['www-authenticate'])
  expect(challenge).toMatch(/^Bearer realm="tickets"/)
  expect(challenge).toContain('error="invalid_token"')
}

describeEachStore(
  '/v2 bearer authentication',
  (ctx) => {
    let now = new Date()
    let app: FastifyInstance
    let token: string
    const call = (authorization: string | undefined, url = LIST, target: FastifyInstance = app) =>
      target.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } })

    beforeAll(async () => {
      app = await createTestApp(ctx.store, { clock: () => now })
      token = await tokenFor(app, ctx.store, PROVIDER_A)
    })
    afterAll(async () => {
      await app.close()
    })

    it('accepts a valid token, with the scheme name in any case', async () => {
      expect((await call(`Bearer ${token}`)).statusCode).toBe(200)
      expect((await call(`bearer ${token}`)).statusCode).toBe(200)
      expect((await call(`BEARER ${token}`, ONE)).statusCode).toBe(200)
    })

    it('answers a request without Authorization with 401 unauthorized and a bare Bearer challenge', async () => {
      for (const url of [LIST, ONE]) {
        const response = await call(undefined, url)
        expect(response.statusCode).toBe(401)
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
        expect(response.json()).toEqual({
          type: 'about:blank',
          title: 'Unauthorized',
          status: 401,
          code: 'unauthorized',
          detail: 'This endpoint needs an access token: send "Authorization: Bearer <token>".',
        })
        expect(response.headers['www-authenticate']).toBe('Bearer realm="tickets"')
      }
    })

    it('authenticates before reading the body: an anonymous bad PATCH gets 401, not 400', async () => {
      const response = await app.inject({
        method: 'PATCH',
        url: ONE,
        headers: { 'content-type': 'application/json' },
        payload: '{"state":1}',
      })
      expect(response.statusCode).toBe(401)
      expect(response.json().code).toBe('unauthorized')
    })

    it('refuses a malformed Authorization header with invalid_token', async () => {
      for (const header of [
        'Bearer',
        'Bearer ',
        token,
        `Token ${token}`,
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `Bearer ${token} extra`,
      ]) {
        expectInvalidToken(await call(header))
      }
    })

    it('refuses a garbage token', async () => {
      for (const garbage of ['abc', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9.e30.', `${token}x`])
        expectInvalidToken(await call(`Bearer ${garbage}`), MALFORMED_DETAIL)
    })

    it('refuses a token signed with another secret', async () => {
      const claims = claimsOf(token)
      const forged = await new SignJWT({ pid: claims.pid, scope: claims.scope })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(String(claims.iss))
        .setAudience(String(claims.aud))
        .setSubject(String(claims.sub))
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('not the server secret, but long enough'))
      expectInvalidToken(await call(`Bearer ${forged}`), MALFORMED_DETAIL)
    })

    it('refuses an unsigned alg:none token', async () => {
      const claims = claimsOf(token)
      for (const alg of ['none', 'None', 'NONE']) {
        const unsigned = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}.`
        expectInvalidToken(await call(`Bearer ${unsigned}`), MALFORMED_DETAIL)
      }
    })

    it('refuses a token whose payload was tampered with', async () => {
      const readOnly = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
      const [header, , signature] = readOnly.split('.')
      const claims = claimsOf(readOnly)
      expect(claims.scope).toBe('tickets:read')
      for (const tampered of [
        { ...claims, pid: PROVIDER_B },
        { ...claims, exp: Number(claims.exp) + 86_400 },
        { ...claims, scope: 'tickets:read tickets:write' },
      ]) {
        expectInvalidToken(await call(`Bearer ${header}.${b64url(tampered)}.${signature}`), MALFORMED_DETAIL)
      }
    })

    it('refuses an expired token', async () => {
      now = new Date('2025-01-01T00:00:00Z')
      try {
        const old = await tokenFor(app, ctx.store, PROVIDER_A)
        expect((await call(`Bearer ${old}`)).statusCode).toBe(200)
        now = new Date('2025-01-01T01:00:01Z')
        expectInvalidToken(await call(`Bearer ${old}`), 'The access token has expired.')
      } finally {
        now = new Date()
      }
    })

    it('refuses a token issued in the past by another instance once it has expired', async () => {
      const past = await createTestApp(ctx.store, { clock: () => new Date('2020-05-05T00:00:00Z') })
      try {
        const old = await tokenFor(past, ctx.store, PROVIDER_A)
        expect((await call(`Bearer ${old}`, LIST, past)).statusCode).toBe(200)
        expectInvalidToken(await call(`Bearer ${old}`), 'The access token has expired.')
      } finally {
        await past.close()
      }
    })

    it('rejects a revoked client’s token on the next request', async () => {
      const { clientId, secret } = await createClient(ctx.store, PROVIDER_A)
      const issued = (await requestToken(app, clientId, secret)).json().access_token as string
      expect((await call(`Bearer ${issued}`)).statusCode).toBe(200)
      await ctx.store.revokeClient(clientId, new Date())
      expectInvalidToken(await call(`Bearer ${issued}`), 'The client this token was issued to has been revoked.')
      expectInvalidToken(await call(`Bearer ${issued}`, ONE))
    })

    it('accepts a token from one app instance in a second instance on the same store', async () => {
      const second = await createTestApp(ctx.store)
      try {
        expect((await call(`Bearer ${token}`, LIST, second)).statusCode).toBe(200)
        const fromSecond = await tokenFor(second, ctx.store, PROVIDER_A)
        expect((await call(`Bearer ${fromSecond}`)).statusCode).toBe(200)
      } finally {
        await second.close()
      }
    })

    it('accepts the token after a restart: a freshly opened store on the same database keeps the key', async () => {
      let reopened: Store | undefined
      let restarted: FastifyInstance | undefined
      try {
        reopened = await openStore({ databaseUrl: ctx.env.TICKETS_DATABASE_URL, dataDir: ctx.env.TICKETS_DATA_DIR ?? '', migrate: false })
        restarted = await createTestApp(reopened)
        const response = await call(`Bearer ${token}`, ONE, restarted)
        expect(response.statusCode).toBe(200)
        expect(response.json().id).toBe(EDGE_TICKETS[0]!.id)
      } finally {
        await restarted?.close()
        await reopened?.close()
      }
    })

    it('does not accept the token in an app configured with a different signing secret', async () => {
      const other = await createTestApp(ctx.store, { signingSecret: 'a-different-signing-secret-of-enough-length' })
      try {
        expectInvalidToken(await call(`Bearer ${token}`, LIST, other), MALFORMED_DETAIL)
        expect((await call(`Bearer ${token}`)).statusCode).toBe(200)
      } finally {
        await other.close()
      }
    })

    it('answers a token without the needed scope with 403 insufficient-scope', async () => {
      const writeOnly = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:write'])
      for (const url of [LIST, ONE]) {
        const response = await call(`Bearer ${writeOnly}`, url)
        expect(response.statusCode).toBe(403)
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
        expect(response.json()).toEqual({
          type: 'about:blank',
          title: 'Forbidden',
          status: 403,
          code: 'insufficient-scope',
          detail: 'This operation needs the tickets:read scope.',
        })
        expect(response.headers['www-authenticate']).toContain('error="insufficient_scope"')
        expect(response.headers['www-authenticate']).toContain('scope="tickets:read"')
      }
      const readOnly = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
      const patch = await app.inject({
        method: 'PATCH',
        url: ONE,
        headers: { ...bearer(readOnly), 'content-type': 'application/json' },
        payload: '{"externally_processed":true}',
      })
      expect(patch.statusCode).toBe(403)
      expect(patch.json().code).toBe('insufficient-scope')
    })

    it('limits a token narrowed at issue to its granted scope', async () => {
      const { clientId, secret } = await createClient(ctx.store, PROVIDER_A)
      const narrowed = (await requestToken(app, clientId, secret, 'tickets:read')).json().access_token as string
      expect((await call(`Bearer ${narrowed}`, ONE)).statusCode).toBe(200)
      const patch = await app.inject({
        method: 'PATCH',
        url: ONE,
        headers: { ...bearer(narrowed), 'content-type': 'application/json' },
        payload: '{"externally_processed":true}',
      })
      expect(patch.statusCode).toBe(403)
    })
  },
  seedStore,
)
