// Managing webhook endpoints through the API on both stores: create (the secret shown once),
// list, read, change, disable and enable, rotate the secret, delete; another provider's endpoint
// is a 404 for every operation; every refusal is a whole problem document.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { wireTimestamp } from '../../src/domain/lifecycle/events.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { appendEvent } from '../support/webhooks.js'

const ENDPOINTS = '/v2/system/webhook-endpoints'
const START = Date.parse('2027-03-04T05:06:07.000Z')
const KEK = Buffer.from('0123456789abcdef0123456789abcdef')

function expectProblem(response: LightMyRequestResponse, status: number, body: Record<string, unknown>) {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
  expect(response.json()).toEqual({ type: 'about:blank', status, ...body })
}

describeEachStore('webhook endpoint management', (ctx) => {
  let app: FastifyInstance
  let token: string
  let otherToken: string
  let now = START
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, as = token) =>
    app.inject({ method, url, headers: bearer(as), ...(payload !== undefined ? { payload: payload as object } : {}) })
  const create = (payload: unknown, as = token) => call('POST', ENDPOINTS, payload, as)

  beforeAll(async () => {
    app = await createTestApp(ctx.store, {
      clock: () => new Date(now),
      keyring: { encryptionKey: KEK },
      webhooks: { allowPrivate: true },
    })
    token = await tokenFor(app, ctx.store, PROVIDER_A, ['webhooks:manage'])
    otherToken = await tokenFor(app, ctx.store, PROVIDER_B, ['webhooks:manage'])
  })
  afterAll(async () => {
    await app.close()
  })

  it('creates an endpoint at the feed’s end and shows its secret only once', async () => {
    const last = await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', START - 1000)
    const response = await create({ url: 'http://127.0.0.1:9/hooks', event_types: ['tickets.ticket.*'], description: 'ERP' })
    expect(response.statusCode, response.body).toBe(201)
    const created = response.json()
    expect(response.headers.location).toBe(`${ENDPOINTS}/${created.id}`)
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      url: 'http://127.0.0.1:9/hooks',
      description: 'ERP',
      event_types: ['tickets.ticket.*'],
      disabled: false,
      disabled_reason: null,
      created_at: '2027-03-04T05:06:07Z',
      updated_at: '2027-03-04T05:06:07Z',
      previous_secret_expires_at: null,
      delivery: { last_event_id: last, retrying_event_id: null, attempt: 0, next_attempt_at: null, failing_since: null },
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+={0,2}$/),
    })
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64')).toHaveLength(32)
    const { secret, ...shown } = created
    const read = await call('GET', `${ENDPOINTS}/${created.id}`)
    expect(read.statusCode).toBe(200)
    expect(read.json()).toEqual(shown)
    // At rest the secret is ciphertext (a key encryption key is configured).
    const row = await ctx.store.db
      .selectFrom('webhook_endpoints')
      .select(['secret', 'secret_encrypted'])
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow()
    expect(row.secret_encrypted).toBe(true)
    expect(row.secret).not.toContain(secret.slice(6, 20))
  })

  it('lists the provider’s endpoints, oldest first, paged, never another provider’s', async () => {
    await create({ url: 'http://127.0.0.1:9/b', event_types: ['tickets.ticket.closed'] }, otherToken)
    now += 1
    const second = (await create({ url: 'http://127.0.0.1:9/second', event_types: ['webhook.*'] })).json()
    const all = (await call('GET', ENDPOINTS)).json()
    expect(all.query).toEqual({ limit: 25, offset: 0 })
    expect(all.total).toBe(2)
    expect(all.result.map((e: { url: string }) => e.url)).toEqual(['http://127.0.0.1:9/hooks', 'http://127.0.0.1:9/second'])
    expect(all.result[1]).not.toHaveProperty('secret')
    const page = (await call('GET', `${ENDPOINTS}?limit=1&offset=1`)).json()
    expect(page).toMatchObject({ query: { limit: 1, offset: 1 }, total: 2 })
    expect(page.result.map((e: { id: string }) => e.id)).toEqual([second.id])
    expectProblem(await call('GET', `${ENDPOINTS}?limit=1001`), 400, {
      title: 'Bad Request',
      code: 'invalid-pagination',
      detail: expect.any(String),
      errors: [{ in: 'query', name: 'limit', detail: expect.any(String) }],
    })
  })

  it('changes, disables and enables an endpoint; enabling starts from the feed’s end', async () => {
    const id = (await create({ url: 'http://127.0.0.1:9/change', event_types: ['tickets.ticket.closed'] })).json().id
    now += 1000
    const patched = await call('PATCH', `${ENDPOINTS}/${id}`, {
      url: 'http://localhost:9/changed',
      event_types: ['tickets.ticket.closed', 'tickets.ticket.cancelled'],
      description: 'now two types',
    })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.json()).toMatchObject({
      url: 'http://localhost:9/changed',
      event_types: ['tickets.ticket.closed', 'tickets.ticket.cancelled'],
      description: 'now two types',
      updated_at: wireTimestamp(new Date(now)),
    })
    const disabled = (await call('PATCH', `${ENDPOINTS}/${id}`, { disabled: true })).json()
    expect(disabled).toMatchObject({ disabled: true, disabled_reason: 'Disabled by the provider.' })
    const later = await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', now)
    const enabled = (await call('PATCH', `${ENDPOINTS}/${id}`, { disabled: false })).json()
    expect(enabled).toMatchObject({ disabled: false, disabled_reason: null, delivery: { last_event_id: later, attempt: 0 } })
    // Enabling an enabled endpoint moves nothing.
    await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', now + 1)
    expect((await call('PATCH', `${ENDPOINTS}/${id}`, { disabled: false })).json().delivery.last_event_id).toBe(later)
  })

  it('rotates the secret: the previous one is announced to sign for 24 hours', async () => {
    const created = (await create({ url: 'http://127.0.0.1:9/rotate', event_types: ['tickets.*'] })).json()
    const rotated = await call('POST', `${ENDPOINTS}/${created.id}/rotate-secret`)
    expect(rotated.statusCode, rotated.body).toBe(200)
    const expires = wireTimestamp(new Date(now + 24 * 3_600_000))
    expect(rotated.json()).toEqual({ secret: expect.stringMatching(/^whsec_/), previous_secret_expires_at: expires })
    expect(rotated.json().secret).not.toBe(created.secret)
    expect((await call('GET', `${ENDPOINTS}/${created.id}`)).json().previous_secret_expires_at).toBe(expires)
    const saved = now
    now += 24 * 3_600_000
    try {
      const later = await tokenFor(app, ctx.store, PROVIDER_A, ['webhooks:manage'])
      expect((await call('GET', `${ENDPOINTS}/${created.id}`, undefined, later)).json().previous_secret_expires_at).toBeNull()
    } finally {
      now = saved
    }
  })

  it('deletes an endpoint: 204, then it is gone', async () => {
    const id = (await create({ url: 'http://127.0.0.1:9/delete', event_types: ['tickets.*'] })).json().id
    const deleted = await call('DELETE', `${ENDPOINTS}/${id}`)
    expect(deleted.statusCode).toBe(204)
    expect(deleted.body).toBe('')
    const notFound = {
      title: 'Not Found',
      code: 'webhook-endpoint-not-found',
      detail: `No webhook endpoint ${id} belongs to your provider.`,
    }
    expectProblem(await call('GET', `${ENDPOINTS}/${id}`), 404, notFound)
    expectProblem(await call('DELETE', `${ENDPOINTS}/${id}`), 404, notFound)
  })

  it('answers every operation on another provider’s endpoint with 404', async () => {
    const theirs = (await create({ url: 'http://127.0.0.1:9/theirs', event_types: ['tickets.*'] }, otherToken)).json().id
    const notFound = {
      title: 'Not Found',
      code: 'webhook-endpoint-not-found',
      detail: `No webhook endpoint ${theirs} belongs to your provider.`,
    }
    const one = `${ENDPOINTS}/${theirs}`
    expectProblem(await call('GET', one), 404, notFound)
    expectProblem(await call('PATCH', one, { description: 'mine now' }), 404, notFound)
    expectProblem(await call('DELETE', one), 404, notFound)
    expectProblem(await call('POST', `${one}/rotate-secret`), 404, notFound)
    expectProblem(await call('POST', `${one}/test`), 404, notFound)
    expectProblem(await call('GET', `${one}/deliveries`), 404, notFound)
    expectProblem(await call('POST', `${one}/recover`, { since: '2027-01-01T00:00:00Z' }), 404, notFound)
    expect((await call('GET', one, undefined, otherToken)).json().description).toBe('')
  })

  it('refuses bad bodies, ids and event types with 400 problems naming each', async () => {
    const invalidBody = (errors: unknown[]) => ({ title: 'Bad Request', code: 'invalid-body', detail: expect.any(String), errors })
    expectProblem(
      await create({ url: 'http://127.0.0.1:9/x', event_types: [] }),
      400,
      invalidBody([expect.objectContaining({ in: 'body', name: 'event_types' })]),
    )
    expectProblem(await create({ event_types: ['tickets.*'] }), 400, invalidBody([expect.objectContaining({ in: 'body', name: 'url' })]))
    expectProblem(
      await create({ url: 'http://127.0.0.1:9/x', event_types: ['tickets.*'], secret: 'mine' }),
      400,
      invalidBody([expect.objectContaining({ in: 'body' })]),
    )
    expectProblem(
      await create({
        url: 'http://127.0.0.1:9/x',
        event_types: ['tickets.ticket.exploded', 'tickets.tick*', 'nothing.*', 'tickets.*', 'tickets.*'],
      }),
      400,
      invalidBody([
        { in: 'body', name: 'event_types', detail: expect.stringMatching(/^"tickets.ticket.exploded" is not a known event type/) },
        {
          in: 'body',
          name: 'event_types',
          detail: expect.stringMatching(/^"tickets.tick\*" is not a type: a wildcard may only end a prefix/),
        },
        { in: 'body', name: 'event_types', detail: expect.stringMatching(/^"nothing.\*" names no known event types/) },
        { in: 'body', name: 'event_types', detail: '"tickets.*" is listed twice' },
      ]),
    )
    expectProblem(
      await create({ url: 'http://127.0.0.1:9/x', event_types: ['tickets.*'], description: 'nul\u0000' }),
      400,
      invalidBody([expect.objectContaining({ in: 'body', name: 'description' })]),
    )
    const id = (await create({ url: 'http://127.0.0.1:9/bad-patches', event_types: ['tickets.*'] })).json().id
    expectProblem(await call('PATCH', `${ENDPOINTS}/${id}`, {}), 400, invalidBody([expect.objectContaining({ in: 'body' })]))
    expectProblem(
      await call('PATCH', `${ENDPOINTS}/${id}`, { disabled: 'yes' }),
      400,
      invalidBody([expect.objectContaining({ name: 'disabled' })]),
    )
    expectProblem(
      await call('POST', `${ENDPOINTS}/${id}/recover`, { since: 'yesterday' }),
      400,
      invalidBody([expect.objectContaining({ name: 'since' })]),
    )
    expectProblem(await call('GET', `${ENDPOINTS}/not-a-uuid`), 400, {
      title: 'Bad Request',
      code: 'invalid-path',
      detail: 'The webhook endpoint id "not-a-uuid" is not a UUID.',
      errors: [{ in: 'path', name: 'webhook-endpoint-id', detail: expect.any(String) }],
    })
    expectProblem(await call('GET', `${ENDPOINTS}/${id}?verbose=1`), 400, {
      title: 'Bad Request',
      code: 'invalid-query',
      detail: 'This operation takes no query parameters (got verbose).',
      errors: [{ in: 'query', name: 'verbose', detail: 'is not a parameter of this endpoint' }],
    })
  })

  it('refuses a recover of a disabled endpoint with 409', async () => {
    const id = (await create({ url: 'http://127.0.0.1:9/disabled', event_types: ['tickets.*'] })).json().id
    await call('PATCH', `${ENDPOINTS}/${id}`, { disabled: true })
    expectProblem(await call('POST', `${ENDPOINTS}/${id}/recover`, { since: '2027-01-01T00:00:00Z' }), 409, {
      title: 'Conflict',
      code: 'webhook-endpoint-disabled',
      detail: `Webhook endpoint ${id} is disabled (Disabled by the provider.); enable it (PATCH disabled: false) before recovering.`,
    })
  })

  it('needs the webhooks:manage scope', async () => {
    const reader = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read', 'tickets:write', 'tickets:manage'])
    for (const [method, url] of [
      ['GET', ENDPOINTS],
      ['POST', ENDPOINTS],
    ] as const) {
      const response = await call(
        method,
        url,
        method === 'POST' ? { url: 'http://127.0.0.1:9/x', event_types: ['tickets.*'] } : undefined,
        reader,
      )
      expectProblem(response, 403, {
        title: 'Forbidden',
        code: 'insufficient-scope',
        detail: 'This operation needs the webhooks:manage scope.',
      })
    }
  })

  it('stops at 20 endpoints per provider with a 422', async () => {
    const provider = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd'
    const busy = await tokenFor(app, ctx.store, provider, ['webhooks:manage'])
    for (let i = 0; i < 20; i++)
      expect((await create({ url: `http://127.0.0.1:9/${i}`, event_types: ['tickets.*'] }, busy)).statusCode).toBe(201)
    expectProblem(await create({ url: 'http://127.0.0.1:9/21', event_types: ['tickets.*'] }, busy), 422, {
      title: 'Unprocessable Content',
      code: 'webhook-endpoint-limit',
      detail: 'Your provider has 20 webhook endpoints, the most it may have; delete one first.',
    })
  })
})
