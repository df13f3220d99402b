// The webhook delivery thread on PostgreSQL (src/webhooks/dispatcher-thread.ts) is started only
// once the store holds an endpoint: an endpoint that exists when the server starts is served at
// once, one created later (here straight in the store, as another process would) within the
// looks that follow; a look that fails is logged once, not every second, and the thread starts
// when the store answers again; a stop before the thread started ends at once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { webhookEndpointsExist } from '../../src/store/webhook-presence-sql.js'
import { WebhookDispatcherThread } from '../../src/webhooks/dispatcher-thread.js'
import { createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { openTestStore, TEST_DATABASE_URL, type TestStore } from '../support/stores.js'
import { appendEvent, createEndpointVia, startReceiver, type Receiver } from '../support/webhooks.js'

const suite = TEST_DATABASE_URL ? describe : describe.skip

suite(`the webhook delivery thread [postgres]${TEST_DATABASE_URL ? '' : ' [set TICKETS_TEST_DATABASE_URL to run]'}`, () => {
  let test: TestStore
  let token: string
  let receiver: Receiver
  const threads: WebhookDispatcherThread[] = []
  const errors: string[] = []
  const log = { warn: () => undefined, error: (_details: object, message: string) => void errors.push(message) }

  const thread = (endpointsExist = () => webhookEndpointsExist(test.store.db)) => {
    const started = new WebhookDispatcherThread(
      {
        databaseUrl: test.env.TICKETS_DATABASE_URL!,
        poolSize: 2,
        statementTimeoutMs: 10_000,
        allowPrivate: true,
        encryptionKey: undefined,
      },
      log,
      endpointsExist,
    )
    threads.push(started)
    return started
  }
  async function endpoint(): Promise<void> {
    const api = await createTestApp(test.store, { webhooks: { allowPrivate: true } })
    try {
      await createEndpointVia(api, token, { url: `${receiver.origin}/in`, event_types: ['tickets.*'] })
    } finally {
      await api.close()
    }
  }
  async function received(count: number): Promise<void> {
    for (let waited = 0; waited < 15_000 && receiver.requests.length < count; waited += 50) await new Promise((r) => setTimeout(r, 50))
    expect(receiver.requests).toHaveLength(count)
  }

  beforeAll(async () => {
    test = await openTestStore('postgres')
    const api = await createTestApp(test.store)
    token = await tokenFor(api, test.store, PROVIDER_A, ['webhooks:manage'])
    await api.close()
  })
  afterAll(() => test.dispose())
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((t) => t.stop()))
    await receiver.close()
    await test.store.db.deleteFrom('webhook_endpoints').execute()
    errors.length = 0
  })

  it('serves an endpoint that exists when it starts', async () => {
    receiver = await startReceiver()
    await endpoint()
    thread().start()
    await appendEvent(test.store, PROVIDER_A, 'tickets.ticket.created', Date.now())
    await received(1)
  })

  it('starts once an endpoint is created after it: the events from the endpoint’s creation on reach it', async () => {
    receiver = await startReceiver()
    thread().start()
    await appendEvent(test.store, PROVIDER_A, 'tickets.ticket.created', Date.now())
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await endpoint()
    await appendEvent(test.store, PROVIDER_A, 'tickets.ticket.closed', Date.now())
    await received(1)
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ type: 'tickets.ticket.closed' })
    expect(errors).toEqual([])
  })

  it('logs a failing look once, and starts when the store answers again', async () => {
    receiver = await startReceiver()
    await endpoint()
    let failing = true
    thread(() => (failing ? Promise.reject(new Error('connection refused')) : webhookEndpointsExist(test.store.db))).start()
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    expect(errors).toEqual(['looking for webhook endpoints failed; looking again every second'])
    failing = false
    await appendEvent(test.store, PROVIDER_A, 'tickets.ticket.created', Date.now())
    await received(1)
  })

  it('stops at once when stopped before it started', async () => {
    receiver = await startReceiver()
    const idle = thread()
    idle.start()
    const started = performance.now()
    await idle.stop()
    expect(performance.now() - started).toBeLessThan(1_000)
    await endpoint()
    await appendEvent(test.store, PROVIDER_A, 'tickets.ticket.created', Date.now())
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(receiver.requests).toHaveLength(0)
  })
})
