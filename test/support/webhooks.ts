// Webhook test helpers: a real receiver on loopback (node:http) that records every request and
// answers as told, a movable clock, and feed events appended the way the platform appends its own.
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { nextUlid } from '../../src/domain/lifecycle/ulid.js'
import type { Store } from '../../src/store/store.js'

export interface ReceivedRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  /** The raw body, as a verifier must see it. */
  body: string
  receivedAt: number
}

export interface Answer {
  status: number
  headers?: Record<string, string>
  /** Milliseconds to wait before answering. */
  delayMs?: number
}

export interface Receiver {
  /** http://127.0.0.1:<port> */
  origin: string
  port: number
  requests: ReceivedRequest[]
  /** TCP connections accepted so far (a refused delivery must not make one). */
  connections: number
  /** How the next requests are answered (200 by default). */
  answer: (request: ReceivedRequest) => Answer
  close(): Promise<void>
}

export async function startReceiver(): Promise<Receiver> {
  const sockets = new Set<Socket>()
  const receiver: Receiver = {
    origin: '',
    port: 0,
    requests: [],
    connections: 0,
    answer: () => ({ status: 200 }),
    close: async () => {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const received: ReceivedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      }
      receiver.requests.push(received)
      const answer = receiver.answer(received)
      const send = () => {
        if (!response.destroyed) response.writeHead(answer.status, answer.headers ?? {}).end('ok')
      }
      if (answer.delayMs) setTimeout(send, answer.delayMs)
      else send()
    })
  })
  server.on('connection', (socket) => {
    receiver.connections += 1
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  receiver.port = (server.address() as AddressInfo).port
  receiver.origin = `http://127.0.0.1:${receiver.port}`
  return receiver
}

/** A clock the test moves by hand. */
export function movableClock(start = Date.now()) {
  const clock = {
    now: start,
    read: () => new Date(clock.now),
    advance: (ms: number) => {
      clock.now += ms
    },
    set: (ms: number) => {
      clock.now = ms
    },
  }
  return clock
}

/**
 * Resolves once the feed serves every committed event of the provider. On PostgreSQL the feed
 * holds events back while any older transaction of the cluster runs (other test files run
 * long ones), and the dispatcher can only deliver what the feed serves.
 */
export async function feedCaughtUp(store: Store, providerId: string): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 20) {
    const page = await store.readFeed({ providerId }, { limit: 0 })
    if (page.found && !page.pending) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the feed did not catch up within 30 s')
}

/** Appends one event to the provider's feed (its own transaction), once the feed serves it; returns its id. */
export async function appendEvent(store: Store, providerId: string, type: string, at: number, payload: object = {}): Promise<string> {
  const id = nextUlid(at)
  const occurredAt = new Date(at).toISOString()
  const doc = JSON.stringify({ id, type, occurred_at: occurredAt, payload, actor: { type: 'system' }, changes: {} })
  await store.appendProviderEvent({ id, providerId, type, occurredAt, doc })
  await feedCaughtUp(store, providerId)
  return id
}

/** The feed event ids each delivery carried (webhook-id), in arrival order. */
export const deliveredIds = (receiver: Receiver) => receiver.requests.map((request) => request.headers['webhook-id'])

/** Creates an endpoint through the API; returns its id and secret. */
export async function createEndpointVia(
  app: FastifyInstance,
  token: string,
  body: { url: string; event_types: string[]; description?: string },
): Promise<{ id: string; secret: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/v2/system/webhook-endpoints',
    headers: { authorization: `Bearer ${token}` },
    payload: body,
  })
  if (response.statusCode !== 201) throw new Error(`creating an endpoint failed: ${response.body}`)
  const { id, secret } = response.json() as { id: string; secret: string }
  return { id, secret }
}
