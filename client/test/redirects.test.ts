// Redirects are never followed: the token request carries the client secret and every API
// request a bearer token, and following a 3xx would hand them to wherever Location points.
// A real proxy in front of the real API answers 301/302/307/308 pointing at a second loopback
// server that records everything it receives: it must receive nothing.
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../src/cli.js'
import { createTicketsClient, TicketsApiError, TicketsRedirectError } from '../src/index.js'
import { PROVIDER_A, seedStore, ticketsOf } from '../../test/support/fixtures.js'
import { recordingSleep, startLiveApi, startProxy, type LiveApi, type Proxy } from './support.js'

const LIST = '/v2/tickets/tickets'
const TOKEN = '/oauth2/token'
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected an error'),
    (error: unknown) => error,
  )

interface Recorder {
  baseUrl: string
  received: Array<{ method: string; path: string; authorization: string | undefined; body: string }>
  close(): Promise<void>
}

/** Where the redirects point: records every request that reaches it, and answers 200 {}. */
async function startRecorder(): Promise<Recorder> {
  const received: Recorder['received'] = []
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => void (body += chunk.toString()))
    request.on('end', () => {
      received.push({ method: request.method!, path: request.url!, authorization: request.headers.authorization, body })
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

describe('client redirects', () => {
  let api: LiveApi
  let proxy: Proxy
  let recorder: Recorder
  let credentials: { clientId: string; clientSecret: string }

  beforeAll(async () => {
    api = await startLiveApi(seedStore)
    proxy = await startProxy(api.baseUrl)
    recorder = await startRecorder()
    credentials = await api.credentials(PROVIDER_A)
  })
  afterAll(async () => {
    await recorder?.close()
    await proxy?.close()
    await api?.close()
  })
  beforeEach(() => {
    proxy.seen.length = 0
    proxy.plan = () => ({ kind: 'forward' })
    recorder.received.length = 0
  })

  const client = () => createTicketsClient({ baseUrl: proxy.baseUrl, ...credentials, sleep: recordingSleep().sleep })

  /** Answers requests to `path` with a redirect to the same path on the recorder. */
  function redirect(method: string, path: string, status: number, location = (p: string) => recorder.baseUrl + p) {
    proxy.plan = (request) =>
      request.method === method && request.path.split('?')[0] === path
        ? { kind: 'answer', status, headers: { location: location(request.path), 'x-request-id': 'req-redirect' }, body: '' }
        : { kind: 'forward' }
  }

  for (const status of [301, 302, 307, 308]) {
    it(`does not follow a ${status} of the token request: the secret goes nowhere else`, async () => {
      redirect('POST', TOKEN, status)
      const error = (await failure(client().token())) as TicketsRedirectError
      expect(error).toBeInstanceOf(TicketsRedirectError)
      expect(error).toBeInstanceOf(TicketsApiError)
      expect(error).toMatchObject({
        status,
        location: `${recorder.baseUrl}${TOKEN}`,
        code: 'unexpected-redirect',
        requestId: 'req-redirect',
      })
      expect(error.message).toBe(
        `POST ${TOKEN} answered ${status}, redirecting to ${recorder.baseUrl}${TOKEN}; the client does not follow redirects ` +
          '(they would carry the credentials along): set baseUrl to where the API is (request id req-redirect)',
      )
      expect(recorder.received).toEqual([])
      expect(proxy.seen).toEqual([{ method: 'POST', path: TOKEN }]) // and not retried
    })

    it(`does not follow a ${status} of an API request: the bearer token goes nowhere else`, async () => {
      const c = client()
      await c.token()
      const id = ticketsOf(PROVIDER_A)[0]!.id
      redirect('GET', LIST, status)
      const listed = (await failure(c.tickets.list({ state: 'closed' }))) as TicketsRedirectError
      expect(listed).toMatchObject({ name: 'TicketsRedirectError', status, location: `${recorder.baseUrl}${LIST}?state=closed` })
      redirect('PATCH', `${LIST}/${id}`, status)
      const patched = (await failure(c.tickets.update(id, { external_reference: 'X' }))) as TicketsRedirectError
      expect(patched).toMatchObject({ status, location: `${recorder.baseUrl}${LIST}/${id}` })
      expect(recorder.received).toEqual([])
    })
  }

  it('resolves a relative Location against the request URL', async () => {
    redirect('POST', TOKEN, 308, () => '/v3/oauth2/token')
    const error = (await failure(client().token())) as TicketsRedirectError
    expect(error.location).toBe(`${proxy.baseUrl}/v3/oauth2/token`)
  })

  it('an unrelated 304 is not a redirect, and every redirect reaches the CLI as one line, exit 1', async () => {
    redirect('POST', TOKEN, 301, () => 'https://tickets.example.com/oauth2/token')
    let stderr = ''
    const code = await main(
      ['list'],
      { TICKETS_API_URL: proxy.baseUrl, ...{ TICKETS_CLIENT_ID: credentials.clientId, TICKETS_CLIENT_SECRET: credentials.clientSecret } },
      {
        stdout: () => undefined,
        stderr: (text) => void (stderr += text),
      },
    )
    expect(code).toBe(1)
    expect(stderr).toBe(
      `tickets-client: POST ${TOKEN} answered 301, redirecting to https://tickets.example.com/oauth2/token; the client does not follow ` +
        'redirects (they would carry the credentials along): set baseUrl to where the API is (request id req-redirect)\n',
    )
    proxy.plan = (request) => (request.method === 'GET' ? { kind: 'answer', status: 304 } : { kind: 'forward' })
    const notModified = (await failure(client().tickets.list())) as TicketsApiError
    expect(notModified).not.toBeInstanceOf(TicketsRedirectError)
    expect(notModified.status).toBe(304)
  })
})
