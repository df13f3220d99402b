// Token handling against the real server: lazy fetch, caching, refresh before expiry by a
// clock the test controls, one request for many waiting calls, one refresh on invalid_token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTicketsClient, TicketsApiError } from '../src/index.js'
import { PROVIDER_A, seedStore } from '../../test/support/fixtures.js'
import { manualClock, recordingFetch, startLiveApi, startProxy, type LiveApi } from './support.js'

const TOKEN = '/oauth2/token'
const LIST = '/v2/tickets/tickets'

describe('client tokens', () => {
  let api: LiveApi
  beforeAll(async () => {
    api = await startLiveApi(seedStore)
  })
  afterAll(async () => {
    await api?.close()
  })

  async function newClient(options: { clock?: () => Date; scope?: string } = {}) {
    const recorder = recordingFetch()
    const client = createTicketsClient({
      baseUrl: api.baseUrl,
      ...(await api.credentials(PROVIDER_A)),
      fetch: recorder.fetch,
      clock: options.clock ?? api.clock.now,
      ...(options.scope ? { scope: options.scope } : {}),
    })
    return { client, recorder }
  }

  it('fetches no token until the first call, then one with a client_credentials form body', async () => {
    const { client, recorder } = await newClient()
    expect(recorder.requests).toEqual([])
    await client.tickets.list({ limit: 1 })
    const token = recorder.requests[0]!
    expect(token.method).toBe('POST')
    expect(token.path).toBe(TOKEN)
    expect(token.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    expect(new URLSearchParams(token.body).get('grant_type')).toBe('client_credentials')
    expect(recorder.requests[1]!.headers.get('authorization')).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('reuses the cached token and refreshes it only once it is within a minute of expiring', async () => {
    const clock = manualClock(api.clock.now())
    const { client, recorder } = await newClient({ clock: clock.now })
    for (let i = 0; i < 3; i++) await client.tickets.list({ limit: 1 })
    expect(recorder.count('POST', TOKEN)).toBe(1)

    clock.advance(3_500_000) // 100 s left: still outside the 60 s margin
    await client.tickets.list({ limit: 1 })
    expect(recorder.count('POST', TOKEN)).toBe(1)

    clock.advance(50_000) // 50 s left: refreshed before the server would refuse it
    await client.tickets.list({ limit: 1 })
    await client.tickets.list({ limit: 1 })
    expect(recorder.count('POST', TOKEN)).toBe(2)
    expect(recorder.count('GET', LIST)).toBe(6)
  })

  it('sends one token request however many calls wait on it (50 in parallel)', async () => {
    const { client, recorder } = await newClient()
    const pages = await Promise.all(Array.from({ length: 50 }, (_, i) => client.tickets.list({ limit: 1, offset: i })))
    expect(pages.map((page) => page.query.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(recorder.count('POST', TOKEN)).toBe(1)
    expect(recorder.count('GET', LIST)).toBe(50)
  })

  it('refreshes the token and retries once when the server answers 401 invalid_token', async () => {
    // The client's clock lags the server's, so it still trusts a token the server has expired.
    const { client, recorder } = await newClient({ clock: manualClock(api.clock.now()).now })
    await client.tickets.list({ limit: 1 })
    api.clock.advance(3_700_000)
    const page = await client.tickets.list({ limit: 2 })
    expect(page.result).toHaveLength(2)
    expect(recorder.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      `POST ${TOKEN}`,
      `GET ${LIST}`,
      `GET ${LIST}`, // 401 invalid-token: expired
      `POST ${TOKEN}`,
      `GET ${LIST}`,
    ])
  })

  it('gives up after one refresh when the fresh token is refused too', async () => {
    const proxy = await startProxy(api.baseUrl)
    const problem = {
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'The access token has expired.',
      code: 'invalid-token',
    }
    proxy.plan = ({ path }) =>
      path.startsWith(LIST)
        ? {
            kind: 'answer',
            status: 401,
            headers: { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer realm="tickets", error="invalid_token"' },
            body: JSON.stringify(problem),
          }
        : { kind: 'forward' }
    try {
      const client = createTicketsClient({ baseUrl: proxy.baseUrl, ...(await api.credentials(PROVIDER_A)) })
      const error = await client.tickets.list().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TicketsApiError)
      expect((error as TicketsApiError).problem).toEqual(problem)
      expect(proxy.seen.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${TOKEN}`, `GET ${LIST}`, `POST ${TOKEN}`, `GET ${LIST}`])
    } finally {
      await proxy.close()
    }
  })

  it('fails with the token endpoint problem when the credentials are wrong', async () => {
    const { clientId } = await api.credentials(PROVIDER_A)
    const client = createTicketsClient({ baseUrl: api.baseUrl, clientId, clientSecret: 'not-the-secret' })
    const error = (await client.tickets.list().catch((e: unknown) => e)) as TicketsApiError
    expect(error).toBeInstanceOf(TicketsApiError)
    expect(error.status).toBe(401)
    expect(error.method).toBe('POST')
    expect(error.url).toBe(`${api.baseUrl}${TOKEN}`)
    expect(error.problem).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'Unknown client, wrong secret, or the client has been revoked.',
      code: 'invalid-client',
      error: 'invalid_client',
    })
  })

  it('stops working on the next token refresh once the client is revoked', async () => {
    const clock = manualClock(api.clock.now())
    const credentials = await api.credentials(PROVIDER_A)
    const client = createTicketsClient({ baseUrl: api.baseUrl, ...credentials, clock: clock.now })
    await client.tickets.list({ limit: 1 })
    await api.store.revokeClient(credentials.clientId, api.clock.now())
    // The server refuses the cached token (invalid_token); the refresh is refused too.
    const error = (await client.tickets.list().catch((e: unknown) => e)) as TicketsApiError
    expect(error).toBeInstanceOf(TicketsApiError)
    expect(error.code).toBe('invalid-client')
  })

  it('requests only the scopes asked for and reports what was granted', async () => {
    const { client } = await newClient({ scope: 'tickets:read' })
    const token = await client.token()
    expect(token.scopes).toEqual(['tickets:read'])
    expect(token.expiresAt.getTime() - api.clock.now().getTime()).toBe(3_600_000)
  })
})
