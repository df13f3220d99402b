// The real server for the client tests: the HTTP app on an embedded store, listening on a
// loopback port, with a clock the test moves. Plus a real node:http proxy in front of it that
// can misbehave on cue (503/429 with Retry-After, dropped connections, lost responses), and a
// fetch wrapper that records every request and still calls the real fetch.
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Scope } from '../../src/contract/oauth.js'
import type { Store } from '../../src/store/store.js'
import { createClient, createTestApp } from '../../test/support/api.js'
import { openTestStore, type StoreKind, type TestStore } from '../../test/support/stores.js'

export interface ManualClock {
  now: () => Date
  advance(ms: number): void
  set(date: Date): void
}

export function manualClock(start = new Date('2026-12-01T08:00:00Z')): ManualClock {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms
    },
    set: (date) => {
      current = date.getTime()
    },
  }
}

export interface LiveApi {
  store: Store
  app: FastifyInstance
  baseUrl: string
  /** The server's clock. */
  clock: ManualClock
  /** Credentials of a new API client of `providerId`. */
  credentials(providerId: string, scopes?: Scope[]): Promise<{ clientId: string; clientSecret: string }>
  /** Stops the server as a deploy would (held long polls answer, connections close); the store stays open. */
  stop(): Promise<void>
  /** Serves a new app on the same store, at the same address (after stop). */
  start(): Promise<void>
  close(): Promise<void>
}

/** Opens a store (embedded unless told) and serves the app on 127.0.0.1 (call from beforeAll). */
export async function startLiveApi(seed?: (store: Store) => Promise<void>, options: { kind?: StoreKind } = {}): Promise<LiveApi> {
  const opened: TestStore = await openTestStore(options.kind ?? 'embedded')
  await seed?.(opened.store)
  const clock = manualClock()
  let app: FastifyInstance | undefined = await createTestApp(opened.store, { clock: clock.now })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return {
    store: opened.store,
    get app() {
      if (!app) throw new Error('the server is stopped')
      return app
    },
    baseUrl: `http://127.0.0.1:${port}`,
    clock,
    async credentials(providerId, scopes) {
      const { clientId, secret } = await createClient(opened.store, providerId, scopes)
      return { clientId, clientSecret: secret }
    },
    async stop() {
      if (!app) return
      const closing = app.close()
      // As `tickets serve` drains: a connection still open after a moment (a held poll that
      // answered after the server stopped accepting, then stayed kept-alive) is cut, as the
      // process exiting would cut it.
      const deadline = setTimeout(() => app?.server.closeAllConnections(), 500)
      await closing
      clearTimeout(deadline)
      app = undefined
    },
    async start() {
      if (app) throw new Error('the server is running')
      const next = await createTestApp(opened.store, { clock: clock.now })
      await next.listen({ port, host: '127.0.0.1' })
      app = next
    },
    async close() {
      await app?.close()
      await opened.dispose()
    },
  }
}

export interface RecordedRequest {
  method: string
  path: string
  headers: Headers
  body: string | undefined
}

/** A fetch that records each request (method, path and query, headers) and then really sends it. */
export function recordingFetch(): { fetch: typeof fetch; requests: RecordedRequest[]; count(method: string, path: string): number } {
  const requests: RecordedRequest[] = []
  const recording: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    requests.push({
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    })
    return fetch(input, init)
  }
  return {
    fetch: recording,
    requests,
    count: (method, path) => requests.filter((r) => r.method === method && r.path.split('?')[0] === path).length,
  }
}

/** What the proxy does with one request: pass it on, answer it itself, or break the connection. */
export type ProxyAction =
  /** Pass it on; `headers` are added to the API's answer. */
  | { kind: 'forward'; headers?: Record<string, string> }
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string }
  /** Close the connection without an answer (the request never reaches the API). */
  | { kind: 'drop' }
  /** Forward, let the API apply it, then close the connection: the answer is lost. */
  | { kind: 'lose-response' }
  /** Never answer (until the proxy closes): trips the client's timeout. */
  | { kind: 'hang' }

export interface Proxy {
  baseUrl: string
  /** Every request that reached the proxy, in order. */
  seen: Array<{ method: string; path: string }>
  /** Decides per request; the default forwards everything. */
  plan: (request: { method: string; path: string; index: number }) => ProxyAction
  close(): Promise<void>
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host'])

/** A real HTTP server in front of `upstream` that follows `plan` for each request. */
export async function startProxy(upstream: string): Promise<Proxy> {
  const proxy: Proxy = {
    baseUrl: '',
    seen: [],
    plan: () => ({ kind: 'forward' }),
    close: async () => undefined,
  }
  const forward = async (request: IncomingMessage, body: Buffer) => {
    const headers = new Headers()
    for (const [name, value] of Object.entries(request.headers))
      if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers.set(name, value)
    return fetch(upstream + request.url, {
      method: request.method!,
      headers,
      ...(body.length > 0 ? { body } : {}),
    })
  }
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request)
    const entry = { method: request.method!, path: request.url! }
    const action = proxy.plan({ ...entry, index: proxy.seen.length })
    proxy.seen.push(entry)
    if (action.kind === 'drop') return void request.socket.destroy()
    if (action.kind === 'answer') {
      response.writeHead(action.status, action.headers ?? {})
      return void response.end(action.body ?? '')
    }
    if (action.kind === 'hang') return
    const answer = await forward(request, body)
    const text = Buffer.from(await answer.arrayBuffer())
    if (action.kind === 'lose-response') return void request.socket.destroy()
    const headers: Record<string, string> = {}
    answer.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name)) headers[name] = value
    })
    if (response.destroyed) return
    if (action.kind === 'forward') Object.assign(headers, action.headers)
    response.writeHead(answer.status, headers)
    response.end(text)
  }
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(599)
        response.end(String(error))
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  proxy.baseUrl = `http://127.0.0.1:${port}`
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return proxy
}

/** A sleep that records the delays asked for and waits only a moment, so retries stay fast. */
export function recordingSleep(): { sleep: (ms: number, signal?: AbortSignal) => Promise<void>; delays: number[] } {
  const delays: number[] = []
  return {
    delays,
    sleep: (ms, signal) => {
      delays.push(ms)
      if (signal?.aborted) return Promise.reject(signal.reason)
      return new Promise((resolve) => setTimeout(resolve, 1))
    },
  }
}

/** The URL of a loopback port nothing listens on. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}
