// POST /oauth2/token: the client-credentials grant (RFC 6749 §4.4) and its §5.2 errors.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { hashSecret } from '../../src/auth/secrets.js'
import { createClient, createTestApp, requestToken } from '../support/api.js'
import { PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

const NOW = new Date('2026-06-01T12:00:00Z')
const FORM = 'application/x-www-form-urlencoded'
const INVALID_CLIENT_DETAIL = 'Unknown client, wrong secret, or the client has been revoked.'

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
/** RFC 6749 §2.3.1 / Appendix B: application/x-www-form-urlencoded, as URLSearchParams writes it. */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)

function jwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.')
  expect(parts).toHaveLength(3)
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
}

function expectOAuthError(response: LightMyRequestResponse, status: number, error: string, code: string, detail?: string) {
  expect(response.statusCode).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
  const body = response.json()
  expect(body).toMatchObject({ type: 'about:blank', status, code, error, ...(detail ? { detail } : {}) })
  expect(body.title).toBe(status === 401 ? 'Unauthorized' : status === 415 ? 'Unsupported Media Type' : 'Bad Request')
  return body as Record<string, unknown>
}

describeEachStore('POST /oauth2/token', (ctx) => {
  let app: FastifyInstance
  let client: { clientId: string; secret: string }
  let readOnly: { clientId: string; secret: string }

  const post = (payload: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/oauth2/token', headers: { 'content-type': FORM, ...headers }, payload })
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()

  beforeAll(async () => {
    app = await createTestApp(ctx.store, { clock: () => NOW })
    client = await createClient(ctx.store, PROVIDER_A)
    readOnly = await createClient(ctx.store, PROVIDER_B, ['tickets:read'])
  })
  afterAll(async () => {
    await app.close()
  })

  it('issues a bearer token for form-body credentials, not to be cached', async () => {
    const response = await requestToken(app, client.clientId, client.secret)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.headers['cache-control']).toBe('no-store')
    const body = response.json()
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'tickets:read tickets:write' })
  })

  it('issues a JWT carrying the client, its provider, the scopes and the expiry', async () => {
    const { access_token } = (await requestToken(app, client.clientId, client.secret)).json()
    const header = JSON.parse(Buffer.from(access_token.split('.')[0], 'base64url').toString('utf8'))
    expect(header.alg).toBe('HS256')
    const payload = jwtPayload(access_token)
    expect(payload).toMatchObject({ sub: client.clientId, pid: PROVIDER_A, scope: 'tickets:read tickets:write' })
    expect(payload.exp).toBe(NOW.getTime() / 1000 + 3600)
  })

  it('accepts the client in HTTP Basic', async () => {
    const response = await post(form({ grant_type: 'client_credentials' }), { authorization: basic(client.clientId, client.secret) })
    expect(response.statusCode).toBe(200)
    expect(response.headers['cache-control']).toBe('no-store')
    expect(jwtPayload(response.json().access_token).sub).toBe(client.clientId)
  })

  it('form-decodes HTTP Basic credentials (RFC 6749 §2.3.1), so special characters work', async () => {
    const id = 'partner:ü +1%'
    const secret = 'p@ss:w+rd/ä&=%20 end'
    await ctx.store.createClient({
      clientId: id,
      providerId: PROVIDER_A,
      name: 'special',
      scopes: ['tickets:read'],
      secretHash: await hashSecret(secret),
    })
    const response = await post(form({ grant_type: 'client_credentials' }), { authorization: basic(formEncode(id), formEncode(secret)) })
    expect(response.statusCode).toBe(200)
    expect(jwtPayload(response.json().access_token)).toMatchObject({ sub: id, scope: 'tickets:read' })
    // The same client in the form body needs no extra encoding beyond the form's own.
    expect((await requestToken(app, id, secret)).statusCode).toBe(200)
  })

  it('accepts a form content type with a charset parameter', async () => {
    const response = await post(form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret }), {
      'content-type': `${FORM}; charset=utf-8`,
    })
    expect(response.statusCode).toBe(200)
  })

  it('grants exactly the requested subset of the client’s scopes', async () => {
    for (const scope of ['tickets:read', 'tickets:write']) {
      const response = await requestToken(app, client.clientId, client.secret, scope)
      expect(response.statusCode).toBe(200)
      expect(response.json().scope).toBe(scope)
      expect(jwtPayload(response.json().access_token).scope).toBe(scope)
    }
    const both = await requestToken(app, client.clientId, client.secret, 'tickets:write tickets:read')
    expect(both.json().scope).toBe('tickets:read tickets:write')
  })

  it('grants a read-only client only what it has when no scope is asked for', async () => {
    const response = await requestToken(app, readOnly.clientId, readOnly.secret)
    expect(response.json()).toMatchObject({ scope: 'tickets:read' })
    expect(jwtPayload(response.json().access_token)).toMatchObject({ sub: readOnly.clientId, pid: PROVIDER_B, scope: 'tickets:read' })
  })

  it('refuses a scope the client lacks with invalid_scope instead of granting less', async () => {
    for (const scope of ['tickets:write', 'tickets:read tickets:write']) {
      const body = expectOAuthError(
        await requestToken(app, readOnly.clientId, readOnly.secret, scope),
        400,
        'invalid_scope',
        'invalid-scope',
        'This client may not request the scope "tickets:write".',
      )
      expect(body.errors).toEqual([{ in: 'body', name: 'scope', detail: 'This client may not request the scope "tickets:write".' }])
    }
  })

  it('refuses an unknown scope with invalid_scope', async () => {
    expectOAuthError(
      await requestToken(app, client.clientId, client.secret, 'tickets:read admin'),
      400,
      'invalid_scope',
      'invalid-scope',
      'Unknown scope "admin"; scopes are tickets:read, tickets:write, tickets:manage, webhooks:manage.',
    )
  })

  it('answers a wrong secret, an unknown client and a revoked client alike: 401 invalid_client', async () => {
    const revoked = await createClient(ctx.store, PROVIDER_A)
    await ctx.store.revokeClient(revoked.clientId, new Date())
    const attempts = [
      await requestToken(app, client.clientId, `${client.secret}x`),
      await requestToken(app, 'tc_doesnotexist', client.secret),
      await requestToken(app, revoked.clientId, revoked.secret),
      await post(form({ grant_type: 'client_credentials' }), { authorization: basic(client.clientId, 'wrong') }),
    ]
    for (const response of attempts) {
      expect(response.json()).toEqual({
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: INVALID_CLIENT_DETAIL,
        code: 'invalid-client',
        error: 'invalid_client',
      })
      expectOAuthError(response, 401, 'invalid_client', 'invalid-client')
      expect(response.headers['www-authenticate']).toMatch(/^Basic /)
    }
  })

  it('answers missing client credentials with invalid_client', async () => {
    expectOAuthError(await post(form({ grant_type: 'client_credentials' })), 401, 'invalid_client', 'invalid-client')
    expectOAuthError(
      await post(form({ grant_type: 'client_credentials', client_id: client.clientId })),
      401,
      'invalid_client',
      'invalid-client',
    )
  })

  it('refuses a request without grant_type with invalid_request', async () => {
    const body = expectOAuthError(
      await post(form({ client_id: client.clientId, client_secret: client.secret })),
      400,
      'invalid_request',
      'invalid-request',
    )
    expect(body.errors).toEqual([{ in: 'body', name: 'grant_type', detail: 'grant_type is required (use client_credentials).' }])
  })

  it('refuses any other grant_type with unsupported_grant_type', async () => {
    for (const grant of ['password', 'authorization_code', 'CLIENT_CREDENTIALS']) {
      expectOAuthError(
        await post(form({ grant_type: grant, client_id: client.clientId, client_secret: client.secret })),
        400,
        'unsupported_grant_type',
        'unsupported-grant-type',
        `Unsupported grant_type "${grant}"; use client_credentials.`,
      )
    }
  })

  it('refuses credentials sent both with HTTP Basic and in the body', async () => {
    const response = await post(form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret }), {
      authorization: basic(client.clientId, client.secret),
    })
    expectOAuthError(
      response,
      400,
      'invalid_request',
      'invalid-request',
      'Send the client credentials either in the body or with HTTP Basic, not both.',
    )
  })

  it('refuses a parameter sent twice with invalid_request naming it', async () => {
    const twice = `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.secret}&scope=tickets:read&scope=tickets:write`
    const body = expectOAuthError(await post(twice), 400, 'invalid_request', 'invalid-request', 'scope must be sent only once.')
    expect(body.errors).toEqual([{ in: 'body', name: 'scope', detail: 'scope must be sent only once.' }])
    const grantTwice = `grant_type=client_credentials&grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.secret}`
    expectOAuthError(await post(grantTwice), 400, 'invalid_request', 'invalid-request', 'grant_type must be sent only once.')
  })

  it('refuses a JSON body with 415 and error=invalid_request', async () => {
    const response = await post(
      JSON.stringify({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret }),
      {
        'content-type': 'application/json',
      },
    )
    const body = expectOAuthError(response, 415, 'invalid_request', 'unsupported-media-type')
    expect(body.errors).toEqual([{ in: 'header', name: 'content-type', detail: 'must be application/x-www-form-urlencoded' }])
  })

  it('refuses a request without a body with invalid_request', async () => {
    const response = await app.inject({ method: 'POST', url: '/oauth2/token' })
    expectOAuthError(response, 400, 'invalid_request', 'invalid-request')
  })

  it('refuses a form body over 8 KiB with 413 naming the limit, before parsing it', async () => {
    // 20,000 repetitions of `a&` once kept the process busy for seconds; 1 MiB froze it.
    for (const payload of ['a&'.repeat(20_000), 'a&'.repeat(512 * 1024)]) {
      const response = await post(payload)
      expect(response.statusCode).toBe(413)
      expect(response.json()).toMatchObject({
        code: 'payload-too-large',
        error: 'invalid_request',
        detail: 'The request body is larger than the 8 KiB limit.',
      })
    }
    expect((await requestToken(app, client.clientId, client.secret)).statusCode).toBe(200)
  })

  it('refuses a malformed form body with invalid_request', async () => {
    expectOAuthError(await post('grant_type=%E0%A4%A&client_id=x'), 400, 'invalid_request', 'invalid-request')
  })
})
