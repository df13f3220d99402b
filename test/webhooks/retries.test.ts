// The retry schedule under a controllable clock, on both stores: 5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h, 10 h, then every 10 h; never early; Retry-After on 429 and 503; 410 disables at once; 5
// days of failure disable the endpoint with a webhook.endpoint.disabled event in the feed.
import { afterEach, beforeEach, expect, it } from 'vitest'
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js'
import { DISABLE_AFTER_FAILING_MS } from '../../src/webhooks/retry-schedule.js'
import { createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { wireTimestamp } from '../../src/domain/lifecycle/events.js'
import {
  appendEvent,
  createEndpointVia,
  deliveredIds,
  feedCaughtUp,
  movableClock,
  startReceiver,
  type Receiver,
} from '../support/webhooks.js'

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

describeEachStore('webhook retries', (ctx) => {
  let receiver: Receiver
  let clock: ReturnType<typeof movableClock>
  let dispatcher: WebhookDispatcher
  let random: () => number
  const scope = { providerId: PROVIDER_A }
  const stateOf = async (id: string) => (await ctx.store.getWebhookEndpoint(scope, id))!

  async function endpoint(eventTypes = ['tickets.*'], origin = receiver.origin): Promise<string> {
    const app = await createTestApp(ctx.store, { webhooks: { allowPrivate: true } })
    try {
      return (
        await createEndpointVia(app, await tokenFor(app, ctx.store, PROVIDER_A, ['webhooks:manage']), {
          url: `${origin}/in`,
          event_types: eventTypes,
        })
      ).id
    } finally {
      await app.close()
    }
  }

  /** Moves the clock to the endpoint's next attempt (checking nothing goes a millisecond early) and runs it. */
  async function runNextAttempt(id: string): Promise<void> {
    const due = Date.parse((await stateOf(id)).nextAttemptAt!)
    const before = receiver.requests.length
    clock.set(due - 1)
    await dispatcher.settle()
    expect(receiver.requests).toHaveLength(before)
    clock.set(due)
    await dispatcher.settle()
    expect(receiver.requests).toHaveLength(before + 1)
  }

  beforeEach(async () => {
    receiver = await startReceiver()
    // Whole seconds, as HTTP-dates have them.
    clock = movableClock(Math.floor(Date.now() / 1000) * 1000)
    random = () => 0.5
    dispatcher = new WebhookDispatcher({
      store: ctx.store,
      allowPrivate: true,
      clock: clock.read,
      random: () => random(),
      pollIntervalMs: 0,
    })
  })
  afterEach(async () => {
    await dispatcher.stop()
    await receiver.close()
    await ctx.store.db.deleteFrom('webhook_endpoints').execute()
  })

  it('retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then every 10 h, with the same webhook-id', async () => {
    const id = await endpoint()
    receiver.answer = () => ({ status: 500 })
    const eventId = await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now)
    await dispatcher.settle()
    const delays = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR, 10 * HOUR]
    for (const [index, delay] of delays.entries()) {
      const state = await stateOf(id)
      expect(state).toMatchObject({ attemptEventId: eventId, attempt: index + 1 })
      expect(Date.parse(state.nextAttemptAt!) - clock.now).toBe(delay)
      await runNextAttempt(id)
    }
    expect(new Set(deliveredIds(receiver))).toEqual(new Set([eventId]))
    const log = (await ctx.store.listWebhookDeliveries(scope, id, { limit: 100, offset: 0 }))!.result
    expect(log.map((attempt) => attempt.attempt)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1])
    // A success ends the streak: the next event starts afresh.
    receiver.answer = () => ({ status: 200 })
    await runNextAttempt(id)
    expect(await stateOf(id)).toMatchObject({
      attemptEventId: null,
      attempt: 0,
      nextAttemptAt: null,
      failingSince: null,
      cursorEventId: eventId,
    })
  })

  it('jitters each retry within ±10%', async () => {
    const id = await endpoint()
    receiver.answer = () => ({ status: 502 })
    random = () => 0
    await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now)
    await dispatcher.settle()
    expect(Date.parse((await stateOf(id)).nextAttemptAt!) - clock.now).toBe(4_500)
    random = () => 0.999_999
    await runNextAttempt(id)
    expect(Date.parse((await stateOf(id)).nextAttemptAt!) - clock.now).toBe(330_000)
  })

  it('honours Retry-After on 429 and 503 (seconds or a date, bounded), not on other statuses', async () => {
    const id = await endpoint()
    const cases: Array<[number, (now: number) => string, number]> = [
      [503, () => '120', 120 * SECOND],
      [429, (now) => new Date(now + HOUR).toUTCString(), HOUR],
      [429, () => '0', 5 * SECOND],
      [503, () => String(7 * 24 * 3600), 24 * HOUR],
      [503, () => 'soon', 5 * HOUR],
      [500, () => '1', 10 * HOUR],
    ]
    await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now)
    for (const [index, [status, retryAfter, expected]] of cases.entries()) {
      receiver.answer = () => ({ status, headers: { 'retry-after': retryAfter(clock.now) } })
      if (index === 0) await dispatcher.settle()
      else await runNextAttempt(id)
      // Retry-After gets up to 10% more (never less); an unreadable one falls back to the schedule.
      const jitter = status === 500 || retryAfter(clock.now) === 'soon' ? 1 : 1.05
      expect(Date.parse((await stateOf(id)).nextAttemptAt!) - clock.now, `case ${index}`).toBe(Math.round(expected * jitter))
    }
  })

  it('disables the endpoint at once on 410 Gone and announces it in the feed', async () => {
    const id = await endpoint()
    const watcher = await startReceiver()
    try {
      await endpoint(['webhook.*'], watcher.origin)
      receiver.answer = () => ({ status: 410 })
      const eventId = await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now)
      await dispatcher.settle()
      // The announcement is an event like any other: delivered once the feed serves it.
      await feedCaughtUp(ctx.store, PROVIDER_A)
      await dispatcher.settle()
      const state = await stateOf(id)
      expect(state).toMatchObject({ disabledReason: 'The endpoint answered 410 Gone.', attemptEventId: eventId, nextAttemptAt: null })
      const announced = await lastFeedEvent()
      expect(announced).toEqual({
        id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
        type: 'webhook.endpoint.disabled',
        occurred_at: wireTimestamp(new Date(clock.now)),
        payload: { endpoint: { id, url: `${receiver.origin}/in`, disabled_reason: 'The endpoint answered 410 Gone.' } },
        actor: { type: 'system' },
        changes: {},
      })
      // Another endpoint subscribed to webhook.* hears of it.
      expect(deliveredIds(watcher)).toEqual([announced.id])
      clock.advance(HOUR)
      await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now)
      await dispatcher.settle()
      expect(receiver.requests).toHaveLength(1)
    } finally {
      await watcher.close()
    }
  })

  it('disables an endpoint whose every attempt failed for 5 days; later events never went', async () => {
    const id = await endpoint()
    receiver.answer = () => ({ status: 500 })
    const started = clock.now
    const first = await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now)
    await dispatcher.settle()
    await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.closed', clock.now + 1)
    while ((await stateOf(id)).disabledReason === null) await runNextAttempt(id)
    // 1 + 7 scheduled + 9 every 10 h (to 117.6 h) + the last at exactly 5 days.
    expect(receiver.requests).toHaveLength(18)
    expect(clock.now - started).toBe(DISABLE_AFTER_FAILING_MS)
    expect(new Set(deliveredIds(receiver))).toEqual(new Set([first]))
    const reason = `Every delivery attempt failed for 5 days (since ${new Date(started).toISOString()}).`
    expect(await stateOf(id)).toMatchObject({ disabledReason: reason, failingSince: expect.any(String) })
    expect(await lastFeedEvent()).toMatchObject({
      type: 'webhook.endpoint.disabled',
      payload: { endpoint: { id, disabled_reason: reason } },
    })
  })

  async function lastFeedEvent() {
    await feedCaughtUp(ctx.store, PROVIDER_A)
    const page = await ctx.store.readFeed(scope, { limit: 1000, types: ['webhook.endpoint.disabled'] })
    if (!page.found) throw new Error('feed not found')
    return JSON.parse(page.events.at(-1)!)
  }
})
