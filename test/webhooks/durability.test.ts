// Delivery state lives in the database: a dispatcher stopped mid-retry, or one that died holding
// a claim, loses nothing for the next one; a stop waits for the attempt in flight; and two
// dispatchers on one PostgreSQL (separate pools, as two server processes) share the endpoints
// without ever sending to one endpoint twice at once.
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js'
import { createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { appendEvent, createEndpointVia, deliveredIds, movableClock, startReceiver, type Receiver } from '../support/webhooks.js'

describeEachStore('webhook delivery durability', (ctx) => {
  let receiver: Receiver
  let clock: ReturnType<typeof movableClock>
  let token: string
  const dispatchers: WebhookDispatcher[] = []
  const scope = { providerId: PROVIDER_A }
  const dispatcher = (store: Store = ctx.store, extra: Partial<ConstructorParameters<typeof WebhookDispatcher>[0]> = {}) => {
    const created = new WebhookDispatcher({ store, allowPrivate: true, clock: clock.read, random: () => 0.5, pollIntervalMs: 0, ...extra })
    dispatchers.push(created)
    return created
  }
  const app = () => createTestApp(ctx.store, { webhooks: { allowPrivate: true } })
  async function endpoint(path = '/in'): Promise<string> {
    const api = await app()
    try {
      return (await createEndpointVia(api, token, { url: `${receiver.origin}${path}`, event_types: ['tickets.*'] })).id
    } finally {
      await api.close()
    }
  }

  beforeAll(async () => {
    const api = await app()
    token = await tokenFor(api, ctx.store, PROVIDER_A, ['webhooks:manage'])
    await api.close()
  })
  beforeEach(async () => {
    receiver = await startReceiver()
    clock = movableClock()
  })
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop()))
    await receiver.close()
    await ctx.store.db.deleteFrom('webhook_endpoints').execute()
  })

  it('resumes a retry after a restart: a new dispatcher on the same store sends it when due', async () => {
    const id = await endpoint()
    receiver.answer = () => ({ status: 503 })
    const first = await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now)
    const before = dispatcher()
    await before.settle()
    await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.closed', clock.now)
    await before.stop()
    receiver.answer = () => ({ status: 200 })
    const after = dispatcher()
    await after.settle()
    expect(deliveredIds(receiver)).toEqual([first])
    clock.advance(5_000)
    await after.settle()
    expect(deliveredIds(receiver)).toHaveLength(3)
    expect(deliveredIds(receiver)[1]).toBe(first)
    expect((await ctx.store.listWebhookDeliveries(scope, id, { limit: 10, offset: 0 }))!.result.map((a) => a.attempt)).toEqual([1, 2, 1])
  })

  it('takes over from a process that died holding a claim, once its lease has expired', async () => {
    await endpoint()
    const eventId = await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now)
    // A process claims the endpoint, then dies before it sends or records anything.
    const claimed = await ctx.store.claimWebhookEndpoints({ owner: 'crashed', now: clock.read(), leaseMs: 60_000, limit: 10 })
    expect(claimed).toHaveLength(1)
    const survivor = dispatcher()
    await survivor.settle()
    clock.advance(59_999)
    await survivor.settle()
    expect(receiver.requests).toHaveLength(0)
    clock.advance(1)
    await survivor.settle()
    expect(deliveredIds(receiver)).toEqual([eventId])
  })

  it('stops gracefully: the attempt in flight finishes and is recorded, and is not sent again', async () => {
    const id = await endpoint()
    receiver.answer = () => ({ status: 200, delayMs: 300 })
    const eventId = await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now)
    await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.closed', clock.now)
    const stopping = dispatcher()
    stopping.wake()
    while (receiver.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    await stopping.stop()
    expect((await ctx.store.getWebhookEndpoint(scope, id))!.cursorEventId).toBe(eventId)
    const next = dispatcher()
    await next.settle()
    expect(deliveredIds(receiver)).toHaveLength(2)
    expect(deliveredIds(receiver)[0]).toBe(eventId)
    expect(deliveredIds(receiver)[1]).not.toBe(eventId)
  })

  if (ctx.kind === 'postgres')
    it('shares the work of two processes on one PostgreSQL, never sending to an endpoint twice at once', async () => {
      const other = await openStore({ databaseUrl: ctx.env.TICKETS_DATABASE_URL!, dataDir: '', poolSize: 4 })
      try {
        const paths = ['/e1', '/e2', '/e3', '/e4', '/e5', '/e6']
        for (const path of paths) await endpoint(path)
        const inFlight = new Map<string, number>()
        let overlaps = 0
        receiver.answer = (request) => {
          const now = (inFlight.get(request.path) ?? 0) + 1
          inFlight.set(request.path, now)
          if (now > 1) overlaps += 1
          setTimeout(() => inFlight.set(request.path, (inFlight.get(request.path) ?? 1) - 1), 40)
          return { status: 200, delayMs: 40 }
        }
        const events: string[] = []
        for (let i = 0; i < 5; i++) events.push(await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', clock.now + i))
        const claims = { first: 0, second: 0 }
        const counting = (store: Store, name: keyof typeof claims): Store => ({
          ...store,
          claimWebhookEndpoints: async (claim) => {
            const claimed = await store.claimWebhookEndpoints(claim)
            claims[name] += claimed.length
            return claimed
          },
        })
        // Real time here: leases must not expire while the two race.
        clock.set(Date.now())
        const options = { clock: () => new Date(), pollIntervalMs: 5, concurrency: 3, batchSize: 2 }
        dispatcher(counting(ctx.store, 'first'), options).start()
        dispatcher(counting(other, 'second'), options).start()
        const deadline = Date.now() + 20_000
        while (receiver.requests.length < paths.length * events.length && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20))
        await new Promise((resolve) => setTimeout(resolve, 200))
        expect(overlaps).toBe(0)
        for (const path of paths)
          expect(receiver.requests.filter((request) => request.path === path).map((request) => request.headers['webhook-id'])).toEqual(
            events,
          )
        expect(claims.first).toBeGreaterThan(0)
        expect(claims.second).toBeGreaterThan(0)
      } finally {
        await Promise.all(dispatchers.splice(0).map((d) => d.stop()))
        await other.close()
      }
    })
})
