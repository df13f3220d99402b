// Webhook delivery to a real receiver on loopback, on both stores: what a delivery looks like
// (verified by the standardwebhooks package as an independent receiver), feed order with a later
// event waiting behind a retried one, secret rotation, recover, the test event, the delivery log
// and the timeout.
import type { FastifyInstance } from 'fastify'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { appendEvent, createEndpointVia, deliveredIds, movableClock, startReceiver, type Receiver } from '../support/webhooks.js'

const ENDPOINTS = '/v2/system/webhook-endpoints'
const HOUR = 3_600_000

describeEachStore('webhook delivery', (ctx) => {
  let app: FastifyInstance
  let token: string
  let receiver: Receiver
  let clock: ReturnType<typeof movableClock>
  let dispatcher: WebhookDispatcher
  const scope = { providerId: PROVIDER_A }
  const create = (eventTypes: string[], path = '/hooks') =>
    createEndpointVia(app, token, { url: `${receiver.origin}${path}`, event_types: eventTypes })
  const stateOf = async (id: string) => (await ctx.store.getWebhookEndpoint(scope, id))!
  const event = (type = 'tickets.ticket.created') => appendEvent(ctx.store, PROVIDER_A, type, clock.now)

  beforeAll(async () => {
    app = await createTestApp(ctx.store, { webhooks: { allowPrivate: true } })
    token = await tokenFor(app, ctx.store, PROVIDER_A, ['webhooks:manage'])
  })
  beforeEach(async () => {
    receiver = await startReceiver()
    clock = movableClock()
    dispatcher = new WebhookDispatcher({ store: ctx.store, allowPrivate: true, clock: clock.read, random: () => 0.5, pollIntervalMs: 0 })
  })
  afterEach(async () => {
    await dispatcher.stop()
    await receiver.close()
    await ctx.store.db.deleteFrom('webhook_endpoints').execute()
  })
  afterAll(async () => {
    await app.close()
  })

  it('POSTs each subscribed event, signed so that a Standard Webhooks receiver verifies it', async () => {
    const { id, secret } = await create(['tickets.ticket.*'])
    const eventId = await event()
    const unsubscribed = await event('webhook.endpoint.disabled')
    await dispatcher.settle()
    expect(receiver.requests).toHaveLength(1)
    const [request] = receiver.requests
    expect(request!.method).toBe('POST')
    expect(request!.path).toBe('/hooks')
    expect(request!.headers['content-type']).toBe('application/json')
    expect(request!.headers['webhook-id']).toBe(eventId)
    expect(request!.headers['webhook-timestamp']).toBe(String(Math.floor(clock.now / 1000)))
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
    const verified = new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)
    expect(verified).toEqual({
      type: 'tickets.ticket.created',
      timestamp: new Date(clock.now).toISOString(),
      data: {
        id: eventId,
        type: 'tickets.ticket.created',
        occurred_at: new Date(clock.now).toISOString(),
        payload: {},
        actor: { type: 'system' },
        changes: {},
      },
    })
    // A tampered body is refused by the same receiver.
    expect(() =>
      new Webhook(secret).verify(request!.body.replace('created', 'closed'), request!.headers as Record<string, string>),
    ).toThrow()
    const state = await stateOf(id)
    expect(state).toMatchObject({ attemptEventId: null, attempt: 0, nextAttemptAt: null, failingSince: null })
    // Passed over, not delivered: the cursor is past the unsubscribed event too.
    expect(state.cursorEventId).toBe(unsubscribed)
  })

  it('delivers in feed order: a later event waits while an earlier one is retried', async () => {
    await create(['tickets.*'])
    receiver.answer = () => ({ status: 500 })
    const first = await event()
    await dispatcher.settle()
    const second = await event('tickets.ticket.closed')
    await dispatcher.settle()
    clock.advance(4_000)
    await dispatcher.settle()
    expect(deliveredIds(receiver)).toEqual([first])
    receiver.answer = () => ({ status: 204 })
    clock.advance(1_000)
    await dispatcher.settle()
    expect(deliveredIds(receiver)).toEqual([first, first, second])
  })

  it('stops sending once the provider disables the endpoint, even in the middle of a batch', async () => {
    const { id } = await create(['tickets.*'])
    let disabling: Promise<unknown> | undefined
    receiver.answer = () => {
      disabling ??= ctx.store.updateWebhookEndpoint(scope, id, { disabledReason: 'Disabled by the provider.', now: clock.read() })
      return { status: 200, delayMs: 100 }
    }
    const first = await event()
    await event()
    await event()
    await dispatcher.settle()
    await disabling
    expect(deliveredIds(receiver)).toEqual([first])
    expect(await stateOf(id)).toMatchObject({ cursorEventId: first, disabledReason: 'Disabled by the provider.' })
  })

  it('signs with both secrets for 24 hours after a rotation, then with the new one only', async () => {
    const { id, secret: old } = await create(['tickets.*'])
    const rotated = (await app.inject({ method: 'POST', url: `${ENDPOINTS}/${id}/rotate-secret`, headers: bearer(token) })).json()
    clock.set(Date.now())
    await event()
    await dispatcher.settle()
    const during = receiver.requests[0]!
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2)
    for (const secret of [old, rotated.secret])
      expect(new Webhook(secret).verify(during.body, during.headers as Record<string, string>)).toBeTruthy()
    clock.advance(24 * HOUR)
    const laterId = await event()
    await dispatcher.settle()
    const after = receiver.requests[1]!
    expect(after.headers['webhook-id']).toBe(laterId)
    // The receiver's timestamp check would refuse a message 24 hours ahead of the real clock;
    // the signature is compared with the one the reference library computes for it.
    const timestamp = new Date(Number(after.headers['webhook-timestamp']) * 1000)
    expect(after.headers['webhook-signature']).toBe(new Webhook(rotated.secret).sign(laterId, timestamp, after.body))
  })

  it('recovers: every subscribed event since a time is delivered again, in order, then newer ones', async () => {
    const { id } = await create(['tickets.ticket.created', 'tickets.ticket.closed'])
    // Later than every event other tests stamped (one is a day ahead): recover starts at the
    // first event in feed order that occurred at or after \`since\`.
    clock.advance(30 * 24 * HOUR)
    const ids: string[] = []
    for (const type of ['tickets.ticket.created', 'tickets.ticket.joined', 'tickets.ticket.closed', 'tickets.ticket.created']) {
      clock.advance(1_000)
      ids.push(await event(type))
    }
    await dispatcher.settle()
    const subscribed = [ids[0], ids[2], ids[3]]
    expect(deliveredIds(receiver)).toEqual(subscribed)
    const since = new Date(clock.now - 2_500).toISOString()
    const response = await app.inject({ method: 'POST', url: `${ENDPOINTS}/${id}/recover`, headers: bearer(token), payload: { since } })
    expect(response.statusCode, response.body).toBe(202)
    expect(response.json().delivery.last_event_id).toBe(ids[0])
    clock.advance(1_000)
    const newer = await event()
    await dispatcher.settle()
    expect(deliveredIds(receiver)).toEqual([...subscribed, ids[2], ids[3], newer])
    // A recover to after the endpoint's position moves nothing.
    await app.inject({
      method: 'POST',
      url: `${ENDPOINTS}/${id}/recover`,
      headers: bearer(token),
      payload: { since: new Date(clock.now + HOUR).toISOString() },
    })
    await dispatcher.settle()
    expect(receiver.requests).toHaveLength(6)
  })

  it('sends a test event on demand and answers with the attempt’s outcome', async () => {
    const { id, secret } = await create(['tickets.ticket.closed'])
    const response = await app.inject({ method: 'POST', url: `${ENDPOINTS}/${id}/test`, headers: bearer(token) })
    expect(response.statusCode, response.body).toBe(200)
    const attempt = response.json()
    expect(attempt).toEqual({
      id: expect.any(String),
      event_id: receiver.requests[0]!.headers['webhook-id'],
      event_type: 'webhook.test',
      attempt: 1,
      attempted_at: expect.any(String),
      response_status: 200,
      duration_ms: expect.any(Number),
      error: null,
      succeeded: true,
      next_attempt_at: null,
    })
    const body = new Webhook(secret).verify(receiver.requests[0]!.body, receiver.requests[0]!.headers as Record<string, string>) as {
      type: string
      data: { payload: unknown; actor: unknown }
    }
    expect(body.type).toBe('webhook.test')
    expect(body.data.payload).toEqual({ endpoint: { id, url: `${receiver.origin}/hooks` } })
    expect(body.data.actor).toEqual({ type: 'client', id: expect.stringMatching(/^tc_/) })
    receiver.answer = () => ({ status: 418 })
    const failed = (await app.inject({ method: 'POST', url: `${ENDPOINTS}/${id}/test`, headers: bearer(token), payload: {} })).json()
    expect(failed).toMatchObject({ succeeded: false, response_status: 418, error: null })
    // The test event is not in the feed: the dispatcher has nothing to send.
    await dispatcher.settle()
    expect(receiver.requests).toHaveLength(2)
  })

  it('logs every attempt, newest first, with its outcome and the next attempt', async () => {
    const { id } = await create(['tickets.*'])
    receiver.answer = () => ({ status: 503 })
    const eventId = await event()
    await dispatcher.settle()
    clock.advance(5_000)
    receiver.answer = () => ({ status: 200 })
    await dispatcher.settle()
    const response = await app.inject({ method: 'GET', url: `${ENDPOINTS}/${id}/deliveries?limit=10`, headers: bearer(token) })
    expect(response.statusCode, response.body).toBe(200)
    const log = response.json()
    expect(log).toMatchObject({ query: { limit: 10, offset: 0 }, total: 2 })
    expect(log.result).toEqual([
      expect.objectContaining({ event_id: eventId, attempt: 2, response_status: 200, succeeded: true, next_attempt_at: null, error: null }),
      expect.objectContaining({
        event_id: eventId,
        event_type: 'tickets.ticket.created',
        attempt: 1,
        response_status: 503,
        succeeded: false,
        next_attempt_at: expect.any(String),
      }),
    ])
    expect(Date.parse(log.result[1].attempted_at)).toBe(clock.now - 5_000)
    expect(Date.parse(log.result[1].next_attempt_at)).toBe(clock.now)
    const filtered = (
      await app.inject({ method: 'GET', url: `${ENDPOINTS}/${id}/deliveries?event_id=01ARZ3NDEKTSV4RRFFQ69G5FAV`, headers: bearer(token) })
    ).json()
    expect(filtered).toMatchObject({ total: 0, result: [] })
  })

  it('counts an answer later than the timeout as a failure', async () => {
    const quick = new WebhookDispatcher({
      store: ctx.store,
      allowPrivate: true,
      clock: clock.read,
      random: () => 0.5,
      pollIntervalMs: 0,
      timeoutMs: 200,
    })
    try {
      const { id } = await create(['tickets.*'])
      receiver.answer = () => ({ status: 200, delayMs: 1_000 })
      await event()
      await quick.settle()
      const [attempt] = (await ctx.store.listWebhookDeliveries(scope, id, { limit: 1, offset: 0 }))!.result
      expect(attempt).toMatchObject({ succeeded: false, responseStatus: null, error: 'no answer within 0.2 s' })
      expect((await stateOf(id)).attempt).toBe(1)
    } finally {
      await quick.stop()
    }
  })
})
