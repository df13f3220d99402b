// Tokens name their key (kid); several app instances on one store follow a rotation: new
// kids are verified on demand, old tokens keep working until their key retires, kid-less
// tokens from before kids existed are accepted against the legacy key only.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { rotateSigningKeys } from '../../src/auth/signing-keys.js'
import { createClient, createTestApp, requestToken } from '../support/api.js'
import { PROVIDER_A, seedStore } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

const LIST = '/v2/tickets/tickets?limit=1'
const MALFORMED_DETAIL = 'The access token is malformed or its signature is invalid.'
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>

function expectInvalidToken(response: LightMyRequestResponse) {
  expect(response.statusCode).toBe(401)
  expect(response.json()).toMatchObject({ status: 401, code: 'invalid-token', detail: MALFORMED_DETAIL })
  expect(String(response.headers['www-authenticate'])).toMatch(/^Bearer realm="tickets".*error="invalid_token"/)
}

describeEachStore(
  'signing key rotation over HTTP',
  (ctx) => {
    let first: FastifyInstance
    let second: FastifyInstance
    let client: { clientId: string; secret: string }
    const apps: FastifyInstance[] = []
    const call = (app: FastifyInstance, token: string) =>
      app.inject({ method: 'GET', url: LIST, headers: { authorization: `Bearer ${token}` } })
    const tokenFrom = async (app: FastifyInstance) => {
      const response = await requestToken(app, client.clientId, client.secret)
      expect(response.statusCode).toBe(200)
      return (response.json() as { access_token: string }).access_token
    }
    const app = async (options: Parameters<typeof createTestApp>[1] = {}) => {
      const built = await createTestApp(ctx.store, options)
      apps.push(built)
      return built
    }
    /** A token as the service signs it, with the given header and secret. */
    const sign = (secret: string, header: Record<string, unknown>, lifetimeSeconds = 3600) =>
      new SignJWT({ pid: PROVIDER_A, scope: 'tickets:read tickets:write' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
        .setIssuer('tickets-api')
        .setAudience('tickets-api')
        .setSubject(client.clientId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeSeconds)
        .sign(new TextEncoder().encode(secret))
    const legacySecret = async () => (await ctx.store.listSigningKeys()).find((key) => key.kid === 'primary')!.secret

    beforeAll(async () => {
      first = await app()
      second = await app()
      client = await createClient(ctx.store, PROVIDER_A)
    })
    afterAll(async () => {
      for (const built of apps) await built.close()
    })

    it('names the signing key in every token header', async () => {
      expect(headerOf(await tokenFrom(first))).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'primary' })
    })

    it('accepts a kid-less token signed with the legacy key (issued before kids existed), and no other kid-less token', async () => {
      const legacy = await sign(await legacySecret(), {})
      expect((await call(first, legacy)).statusCode).toBe(200)
      expect((await call(second, legacy)).statusCode).toBe(200)
      expectInvalidToken(await call(first, await sign('some other secret of enough length, 0123', {})))
    })

    it('refuses a token naming an unknown kid, a malformed kid, or the wrong key for its kid', async () => {
      const secret = await legacySecret()
      for (const kid of ['k-unknown', 'not a kid', 42, '']) expectInvalidToken(await call(second, await sign(secret, { kid })))
      expectInvalidToken(await call(second, await sign('some other secret of enough length, 0123', { kid: 'primary' })))
    })

    it('refuses a token of a retired key, even one that has not expired', async () => {
      const now = Date.now()
      const rotated = await rotateSigningKeys(ctx.store, { now: new Date(now), tokenTtlSeconds: 3600 })
      expect(rotated.previous).toBe('primary')
      // Tokens of the legacy key that outlive its retirement (none the service issues do).
      const secret = await legacySecret()
      const longLived = [await sign(secret, { kid: 'primary' }, 5 * 3600), await sign(secret, {}, 5 * 3600)]
      const afterRetirement = await app({ clock: () => new Date(rotated.retiresAt.getTime() + 1000) })
      const beforeRetirement = await app({ clock: () => new Date(rotated.retiresAt.getTime() - 1000) })
      for (const token of longLived) {
        expect((await call(beforeRetirement, token)).statusCode).toBe(200)
        expectInvalidToken(await call(afterRetirement, token))
      }
    })

    it('after a rotation, a second instance verifies tokens of the new key and still accepts those of the old one', async () => {
      const old = await tokenFrom(await app())
      const oldKid = headerOf(old).kid
      const rotated = await rotateSigningKeys(ctx.store, { now: new Date(), tokenTtlSeconds: 3600 })
      expect(rotated.previous).toBe(oldKid)
      const third = await app()
      const fresh = await tokenFrom(third)
      expect(headerOf(fresh).kid).toBe(rotated.kid)
      for (const instance of [first, second, third]) {
        expect((await call(instance, fresh)).statusCode).toBe(200)
        expect((await call(instance, old)).statusCode).toBe(200)
      }
      // The oauth2/token answer is unchanged.
      expect(Object.keys((await requestToken(third, client.clientId, client.secret)).json()).sort()).toEqual([
        'access_token',
        'expires_in',
        'scope',
        'token_type',
      ])
    })

    it('signs with the new key in a running instance once it refreshes', async () => {
      const quick = await app({ keyring: { refreshMs: 50 } })
      const rotated = await rotateSigningKeys(ctx.store, { now: new Date(), tokenTtlSeconds: 3600 })
      await expect.poll(async () => headerOf(await tokenFrom(quick)).kid, { timeout: 10_000 }).toBe(rotated.kid)
    })

    it('refuses the tokens of a key retired at once, even ones it verified before, from its next refresh', async () => {
      const quick = await app({ keyring: { refreshMs: 50 } })
      const token = await tokenFrom(quick)
      expect((await call(quick, token)).statusCode).toBe(200)
      const rotated = await rotateSigningKeys(ctx.store, { now: new Date(), tokenTtlSeconds: 3600, retirePreviousNow: true })
      expect(rotated.previous).toBe(headerOf(token).kid)
      await expect.poll(async () => (await call(quick, token)).statusCode, { timeout: 10_000 }).toBe(401)
      expectInvalidToken(await call(quick, token))
      expectInvalidToken(await call(await app(), token))
      expect((await call(quick, await tokenFrom(quick))).statusCode).toBe(200)
    })
  },
  seedStore,
)
