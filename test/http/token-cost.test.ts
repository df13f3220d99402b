// What a token request costs: new secrets are checked with a keyed hash, scrypt hashes from
// earlier versions still verify (and are replaced by the fast form after a success), and a
// burst of scrypt checks is bounded: the excess is refused with 503, never queued for seconds.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { generateClientId, generateClientSecret, legacyScryptHash, needsRehash } from '../../src/auth/secrets.js'
import { createClient, createTestApp, requestToken } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

describeEachStore('token endpoint cost', (ctx) => {
  let app: FastifyInstance

  beforeAll(async () => {
    app = await createTestApp(ctx.store)
  })
  afterAll(async () => {
    await app.close()
  })

  async function legacyClient() {
    const secret = generateClientSecret()
    const client = await ctx.store.createClient({
      clientId: generateClientId(),
      providerId: PROVIDER_A,
      name: 'created by an earlier version',
      scopes: ['tickets:read'],
      secretHash: await legacyScryptHash(secret),
    })
    return { clientId: client.clientId, secret }
  }

  it('stores new secrets in the fast keyed form', async () => {
    const { clientId } = await createClient(ctx.store, PROVIDER_A)
    const stored = await ctx.store.findClient(clientId)
    expect(stored!.secretHash).toMatch(/^hmac-sha256\$/)
    expect(needsRehash(stored!.secretHash)).toBe(false)
  })

  it('keeps scrypt secrets of earlier versions working and upgrades them on first use', async () => {
    const { clientId, secret } = await legacyClient()
    expect((await requestToken(app, clientId, 'not-the-secret')).statusCode).toBe(401)
    expect((await ctx.store.findClient(clientId))!.secretHash).toMatch(/^scrypt\$/)

    expect((await requestToken(app, clientId, secret)).statusCode).toBe(200)
    const upgraded = (await ctx.store.findClient(clientId))!.secretHash
    expect(upgraded).toMatch(/^hmac-sha256\$/)
    // The same secret works against the new hash, a wrong one still does not.
    expect((await requestToken(app, clientId, secret)).statusCode).toBe(200)
    expect((await requestToken(app, clientId, `${secret}x`)).statusCode).toBe(401)
  })

  it('refuses the excess of a burst of scrypt checks with 503 server-busy instead of queueing it', async () => {
    const { clientId } = await legacyClient()
    const responses = await Promise.all(Array.from({ length: 40 }, () => requestToken(app, clientId, 'wrong')))
    const statuses = responses.map((r) => r.statusCode)
    // 2 running + 32 queued get an answer on the secret; the rest are refused at once.
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(34)
    const busy = responses.filter((r) => r.statusCode === 503)
    expect(busy.length).toBeGreaterThan(0)
    expect(statuses.every((s) => s === 401 || s === 503)).toBe(true)
    expect(busy[0]!.headers['retry-after']).toBe('1')
    expect(busy[0]!.json()).toMatchObject({ code: 'server-busy', error: 'temporarily_unavailable', status: 503 })
  })

  it('checks unknown client ids with the fast hash: a flood of them does not delay a real client', async () => {
    const real = await createClient(ctx.store, PROVIDER_A)
    const flood = Promise.all(Array.from({ length: 400 }, () => requestToken(app, generateClientId(), 'made-up')))
    const mine = await requestToken(app, real.clientId, real.secret)
    expect(mine.statusCode).toBe(200)
    expect((await flood).every((r) => r.statusCode === 401)).toBe(true)
  })
})
