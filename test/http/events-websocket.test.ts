// GET /wssprd, the partner API's websocket protocol, on a listening server with the `ws` client:
// subscribe and unsubscribe (acknowledged), pushes shaped as the notes describe carrying the
// feed's documents, the token in the header or the query, refusals as HTTP problems before the
// upgrade, errors for messages it cannot act on, pings, the token's expiry and shutdown.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import WebSocket from 'ws'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { platformFor, type Platform } from '../support/lifecycle.js'
import { settleFeed } from '../support/feed.js'
import { listen } from '../support/sse.js'
import { describeEachStore } from '../support/stores.js'

const SECRET = 'events-websocket-secret-0123456789abcdef'
const WS = '/wssprd'

interface Message {
  action: string
  [member: string]: unknown
}

/** A connected client that keeps every message it receives. */
class Client {
  readonly messages: Message[] = []
  closed: { code: number; reason: string } | undefined
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as Message))
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }))
  }

  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
    const socket = new WebSocket(url, options)
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new Client(socket)))
      socket.once('unexpected-response', (_request, response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => (body += chunk.toString()))
        response.on('end', () => reject(Object.assign(new Error(`HTTP ${response.statusCode}`), { status: response.statusCode, body })))
      })
      socket.once('error', reject)
    })
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** Waits for the next message matching `predicate` that arrived after `from` messages. */
  async next(predicate: (m: Message) => boolean, from = 0, timeoutMs = 10_000): Promise<Message> {
    await expect.poll(() => this.messages.slice(from).some(predicate), { timeout: timeoutMs }).toBe(true)
    return this.messages.slice(from).find(predicate)!
  }

  async subscribe(eventType: string, action = 'subscribe-to-event'): Promise<void> {
    const from = this.messages.length
    this.send({ action, event_type: eventType })
    await this.next((m) => m.event_type === eventType && m.action !== 'event-received', from)
  }

  close(): void {
    this.socket.close()
  }
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('the websocket opened'),
    (error: { status: number; body: string }) => ({ status: error.status, body: JSON.parse(error.body) as Record<string, unknown> }),
  )

describeEachStore('the events websocket', (ctx) => {
  let app: FastifyInstance
  let url: string
  let base: string
  let a: Platform
  let reader: string
  let offset = 0

  const feedDoc = async (eventId: string) => {
    await settleFeed(ctx.store, [PROVIDER_A])
    const response = await app.inject({ method: 'GET', url: '/v2/system/events?limit=1000', headers: bearer(reader) })
    return (response.json().result as Array<{ id: string }>).find((e) => e.id === eventId)
  }

  beforeAll(async () => {
    app = await createTestApp(ctx.store, {
      signingSecret: SECRET,
      // A clock the test can move forward, to bring a token close to its expiry.
      clock: () => new Date(Date.now() + offset),
      // Pings often enough to test, not so often that a busy event loop (the store runs on it) misses one.
      streams: { pingMs: 700, perClient: 3 },
    })
    base = await listen(app)
    url = base.replace('http', 'ws') + WS
    a = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
    reader = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
  })
  afterAll(async () => {
    await app.close()
  })

  it('pushes the events of the subscribed types as event-received with the feed’s document, until unsubscribed', async () => {
    const client = await Client.connect(url, { headers: bearer(reader) })
    try {
      await client.subscribe('tickets.ticket.created')
      expect(client.messages).toEqual([{ action: 'subscribed-to-event', event_type: 'tickets.ticket.created' }])
      const ticket = await a.create()
      await a.act(ticket.id, 'join', { operator_id: OPERATOR_Y })
      const pushed = await client.next((m) => m.action === 'event-received')
      expect(Object.keys(pushed)).toEqual(['action', 'event_id', 'event_type', 'message'])
      expect(pushed).toMatchObject({ event_type: 'tickets.ticket.created', message: { payload: { ticket: { id: ticket.id } } } })
      expect(pushed.message).toEqual(await feedDoc(pushed.event_id as string))
      // A prefix form subscribes to every type under it; unsubscribing stops the first.
      await client.subscribe('tickets.ticket.*')
      await client.subscribe('tickets.ticket.created', 'unsubscribe-from-event')
      const from = client.messages.length
      const second = await a.create()
      await a.act(second.id, 'cancel', { cancel_reason_id: 1 })
      const cancelled = await client.next((m) => m.event_type === 'tickets.ticket.cancelled', from)
      expect(cancelled.message).toMatchObject({ payload: { ticket: { id: second.id } } })
      // The created event came too: through the prefix, once.
      expect(client.messages.slice(from).map((m) => m.event_type)).toEqual(['tickets.ticket.created', 'tickets.ticket.cancelled'])
      await client.subscribe('tickets.ticket.*', 'unsubscribe-from-event')
      const quiet = client.messages.length
      await a.create()
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(client.messages.slice(quiet)).toEqual([])
    } finally {
      client.close()
    }
  })

  it('takes the token as ?access_token= too, and pushes only the caller’s provider’s events', async () => {
    const client = await Client.connect(`${url}?access_token=${encodeURIComponent(reader)}`)
    const other = await platformFor(app, ctx.store, PROVIDER_B, CUSTOMER_X)
    try {
      await client.subscribe('tickets.ticket.created')
      await other.create()
      const mine = await a.create()
      const pushed = await client.next((m) => m.action === 'event-received')
      expect(pushed.message).toMatchObject({ payload: { ticket: { id: mine.id } } })
      expect(client.messages.filter((m) => m.action === 'event-received')).toHaveLength(1)
    } finally {
      client.close()
    }
  })

  it('answers messages it cannot act on with an error, and stays open', async () => {
    const client = await Client.connect(url, { headers: bearer(reader) })
    try {
      const cases: Array<[unknown, Message]> = [
        ['not json', { action: 'error', code: 'invalid-message', detail: expect.stringContaining('JSON object') }],
        [[1, 2], { action: 'error', code: 'invalid-message', detail: 'A message must be a JSON object with an "action".' }],
        [{ event_type: 'tickets.ticket.created' }, { action: 'error', code: 'invalid-message', detail: expect.any(String) }],
        [{ action: 'dance' }, { action: 'error', code: 'unknown-action', request_action: 'dance', detail: expect.any(String) }],
        [
          { action: 'subscribe-to-connector', connector_id: 'x' },
          { action: 'error', code: 'unsupported-action', request_action: 'subscribe-to-connector', detail: expect.any(String) },
        ],
        [
          { action: 'subscribe-to-event', event_type: 'tickets.ticket.exploded' },
          {
            action: 'error',
            code: 'invalid-event-type',
            request_action: 'subscribe-to-event',
            detail: expect.stringContaining('(got "tickets.ticket.exploded")'),
          },
        ],
        [
          { action: 'subscribe-to-event' },
          { action: 'error', code: 'invalid-event-type', request_action: 'subscribe-to-event', detail: expect.any(String) },
        ],
      ]
      for (const [sent, expected] of cases) {
        const from = client.messages.length
        client.send(sent)
        expect(await client.next(() => true, from)).toEqual(expected)
      }
      const from = client.messages.length
      client.socket.send(Buffer.from([1, 2, 3]), { binary: true })
      expect(await client.next(() => true, from)).toMatchObject({ code: 'invalid-message' })
      await client.subscribe('webhook.endpoint.disabled')
      expect(client.closed).toBeUndefined()
    } finally {
      client.close()
    }
  })

  it('refuses before the upgrade, as problems: no token, the token twice, unknown parameters, too many streams', async () => {
    expect(await refusal(Client.connect(url))).toMatchObject({ status: 401, body: { code: 'unauthorized' } })
    expect(await refusal(Client.connect(url, { headers: { authorization: 'Bearer nope' } }))).toMatchObject({
      status: 401,
      body: { code: 'invalid-token' },
    })
    expect(await refusal(Client.connect(`${url}?access_token=${reader}`, { headers: bearer(reader) }))).toEqual({
      status: 400,
      body: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'Send the access token once: in the Authorization header or as access_token, not both.',
        code: 'invalid-request',
        errors: [{ in: 'query', name: 'access_token', detail: 'must not be sent with an Authorization header' }],
      },
    })
    expect(await refusal(Client.connect(`${url}?token=x`, { headers: bearer(reader) }))).toMatchObject({
      status: 400,
      body: { code: 'invalid-query' },
    })
    const plain = await fetch(`${base}${WS}`, { headers: bearer(reader) })
    expect(plain.status).toBe(426)
    expect(plain.headers.get('upgrade')).toBe('websocket')
    expect(await plain.json()).toMatchObject({ code: 'websocket-required', status: 426 })
    const limited = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
    const open = await Promise.all([1, 2, 3].map(() => Client.connect(url, { headers: bearer(limited) })))
    try {
      expect(await refusal(Client.connect(url, { headers: bearer(limited) }))).toMatchObject({
        status: 429,
        body: { code: 'too-many-streams' },
      })
      open[0]!.close()
      await expect
        .poll(() =>
          Client.connect(url, { headers: bearer(limited) }).then(
            (c) => (c.close(), true),
            () => false,
          ),
        )
        .toBe(true)
    } finally {
      for (const client of open) client.close()
    }
  })

  it('pings: a client that answers stays, one that does not is closed', async () => {
    const answering = await Client.connect(url, { headers: bearer(reader) })
    const silent = await Client.connect(url, { headers: bearer(reader), autoPong: false })
    try {
      await expect.poll(() => silent.closed, { timeout: 5_000 }).toBeDefined()
      expect(silent.closed!.code).toBe(1006)
      expect(answering.closed).toBeUndefined()
    } finally {
      answering.close()
      silent.close()
    }
  })

  it('closes with 1008 when the access token expires', async () => {
    const token = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
    // The token is valid for an hour: move the clock to one second before its end.
    offset = 3_599_000
    try {
      const client = await Client.connect(url, { headers: bearer(token) })
      await expect
        .poll(() => client.closed, { timeout: 5_000 })
        .toEqual({
          code: 1008,
          reason: 'access token expired: reconnect with a fresh token',
        })
    } finally {
      offset = 0
    }
  })
})

describeEachStore('the events websocket at shutdown', (ctx) => {
  it('closes open websockets with 1001 when the app closes', async () => {
    const app = await createTestApp(ctx.store, { signingSecret: SECRET })
    const url = (await listen(app)).replace('http', 'ws') + WS
    const token = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
    const client = await Client.connect(url, { headers: bearer(token) })
    await client.subscribe('tickets.ticket.created')
    const startedAt = Date.now()
    await app.close()
    await expect.poll(() => client.closed, { timeout: 2_000 }).toEqual({ code: 1001, reason: 'server shutting down: reconnect' })
    expect(Date.now() - startedAt).toBeLessThan(2_000)
  })
})
