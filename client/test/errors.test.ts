// Typed errors: every non-2xx answer is a TicketsApiError with the whole problem and the
// request id; a 404 is never an empty result; a 200 that is not the documented shape, a body
// that is not a problem, and no answer at all are errors that say so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTicketsClient, TicketsApiError, TicketsNetworkError, UnexpectedResponseError, type TicketsClient } from '../src/index.js'
import { PROVIDER_A, PROVIDER_B, seedStore, ticketsOf } from '../../test/support/fixtures.js'
import { closedPortUrl, startLiveApi, startProxy, type LiveApi, type Proxy } from './support.js'

const UNKNOWN_ID = 'deadbeef-0000-4000-8000-000000000000'
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected an error'),
    (error: unknown) => error,
  )

describe('client errors', () => {
  let api: LiveApi
  let proxy: Proxy
  let credentials: { clientId: string; clientSecret: string }
  let client: TicketsClient
  const requestIds: Array<string | null> = []

  beforeAll(async () => {
    api = await startLiveApi(seedStore)
    proxy = await startProxy(api.baseUrl)
    credentials = await api.credentials(PROVIDER_A)
    client = createTicketsClient({
      baseUrl: api.baseUrl,
      ...credentials,
      fetch: async (input, init) => {
        const response = await fetch(input, init)
        requestIds.push(response.headers.get('x-request-id'))
        return response
      },
    })
  })
  afterAll(async () => {
    await proxy?.close()
    await api?.close()
  })

  /** A client through the proxy, which answers `path` itself. */
  function misbehaving(path: string, status: number, contentType: string, body: string) {
    proxy.plan = (request) =>
      request.path.split('?')[0] === path
        ? { kind: 'answer', status, headers: { 'content-type': contentType, 'x-request-id': 'req-42' }, body }
        : { kind: 'forward' }
    return createTicketsClient({ baseUrl: proxy.baseUrl, ...credentials, retries: 0 })
  }

  it('throws ticket-not-found for an unknown id, with the whole problem and the request id', async () => {
    const error = (await failure(client.tickets.get(UNKNOWN_ID))) as TicketsApiError
    expect(error).toBeInstanceOf(TicketsApiError)
    expect(error.status).toBe(404)
    expect(error.problem).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: `No ticket ${UNKNOWN_ID} exists for this client.`,
      code: 'ticket-not-found',
    })
    expect(error.requestId).toBe(requestIds.at(-1))
    expect(error.method).toBe('GET')
    expect(error.url).toBe(`${api.baseUrl}/v2/tickets/tickets/${UNKNOWN_ID}`)
    expect(error.message).toBe(
      `GET /v2/tickets/tickets/${UNKNOWN_ID} answered 404 ticket-not-found: No ticket ${UNKNOWN_ID} exists for this client. (request id ${error.requestId})`,
    )
  })

  it("throws ticket-not-found for another provider's ticket too", async () => {
    const theirs = ticketsOf(PROVIDER_B)[0]!.id
    const error = (await failure(client.tickets.update(theirs, { externally_processed: true }))) as TicketsApiError
    expect(error.code).toBe('ticket-not-found')
  })

  it('throws a 404 for a wrong base URL rather than reading it as no tickets', async () => {
    const wrong = createTicketsClient({ baseUrl: `${api.baseUrl}/api/`, ...credentials })
    const error = (await failure(wrong.tickets.list())) as TicketsApiError
    expect(error.status).toBe(404)
    expect(error.problem).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'There is no resource at /api/oauth2/token.',
      code: 'not-found',
    })
  })

  it('throws a 400 whose errors[] names each invalid parameter', async () => {
    const error = (await failure(client.tickets.list({ state: 'bogus' as 'closed', limit: 5000 }))) as TicketsApiError
    expect(error.status).toBe(400)
    expect(error.problem).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: '2 query parameters are invalid: state, limit.',
      code: 'invalid-query',
      errors: [
        {
          in: 'query',
          name: 'state',
          detail: 'has an element "bogus" that must be one of prepared, pending, in_progress, outsourced, closed, cancelled',
        },
        { in: 'query', name: 'limit', detail: 'must be an integer between 0 and 1000' },
      ],
    })
    expect(error.errors).toBe(error.problem.errors)
  })

  it('throws a 400 naming the body member of an invalid update', async () => {
    const id = ticketsOf(PROVIDER_A)[0]!.id
    const error = (await failure(client.tickets.update(id, { external_reference: 'x'.repeat(256) }))) as TicketsApiError
    expect(error.problem).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'The request body is invalid: external_reference must be at most 255 characters.',
      code: 'invalid-body',
      errors: [{ in: 'body', name: 'external_reference', detail: 'must be at most 255 characters' }],
    })
  })

  it('throws precondition-failed for a stale If-Match', async () => {
    const id = ticketsOf(PROVIDER_A)[1]!.id
    const error = (await failure(client.tickets.update(id, { external_reference: 'X' }, { ifMatch: '"stale"' }))) as TicketsApiError
    expect(error.status).toBe(412)
    expect(error.code).toBe('precondition-failed')
    expect((await client.tickets.get(id)).external_reference).toBe(ticketsOf(PROVIDER_A)[1]!.external_reference)
  })

  it('throws insufficient-scope when a read-only client updates', async () => {
    const readOnly = createTicketsClient({ baseUrl: api.baseUrl, ...(await api.credentials(PROVIDER_A, ['tickets:read'])) })
    const error = (await failure(readOnly.tickets.update(UNKNOWN_ID, { externally_processed: true }))) as TicketsApiError
    expect(error.problem).toEqual({
      type: 'about:blank',
      title: 'Forbidden',
      status: 403,
      detail: 'This operation needs the tickets:write or tickets:manage scope.',
      code: 'insufficient-scope',
    })
  })

  it('says so when a 200 list is not the documented shape', async () => {
    const bad = misbehaving('/v2/tickets/tickets', 200, 'application/json', '{"data":[]}')
    const error = (await failure(bad.tickets.list())) as UnexpectedResponseError
    expect(error).toBeInstanceOf(UnexpectedResponseError)
    expect(error).toBeInstanceOf(TicketsApiError)
    expect(error.message).toBe(
      'GET /v2/tickets/tickets answered 200, but the response was not the documented TicketList shape: result is missing (members: data) (request id req-42)',
    )
    expect(error.problem.code).toBe('unexpected-response')

    const noTotal = misbehaving('/v2/tickets/tickets', 200, 'application/json', '{"query":{},"result":[]}')
    expect(((await failure(noTotal.tickets.list())) as Error).message).toContain('TicketList shape: total is undefined, not a number')
    const notJson = misbehaving('/v2/tickets/tickets', 200, 'text/html', '<html></html>')
    expect(((await failure(notJson.tickets.list())) as Error).message).toContain('TicketList shape: the body is not JSON')
  })

  it('says so when a 200 ticket is not a ticket', async () => {
    const bad = misbehaving(`/v2/tickets/tickets/${UNKNOWN_ID}`, 200, 'application/json', '[]')
    const error = (await failure(bad.tickets.get(UNKNOWN_ID))) as UnexpectedResponseError
    expect(error).toBeInstanceOf(UnexpectedResponseError)
    expect(error.problem.detail).toBe('The response was not the documented Ticket shape: the body is an array, not a ticket object.')
  })

  it('still throws a TicketsApiError for an error answer that is not a problem document', async () => {
    const bad = misbehaving('/v2/tickets/tickets', 502, 'text/html', '<html><body>Bad   gateway</body></html>')
    const error = (await failure(bad.tickets.list())) as TicketsApiError
    expect(error).toBeInstanceOf(TicketsApiError)
    expect(error.status).toBe(502)
    expect(error.requestId).toBe('req-42')
    expect(error.problem).toEqual({
      type: 'about:blank',
      title: 'HTTP 502',
      status: 502,
      detail: 'The response was not a problem document (text/html): <html><body>Bad gateway</body></html>.',
      code: 'unexpected-response',
    })
  })

  it('throws TicketsNetworkError when nothing answers', async () => {
    const baseUrl = await closedPortUrl()
    const offline = createTicketsClient({ baseUrl, ...credentials, retries: 0 })
    const error = (await failure(offline.tickets.list())) as TicketsNetworkError
    expect(error).toBeInstanceOf(TicketsNetworkError)
    expect(error.attempts).toBe(1)
    expect(error.timedOut).toBe(false)
    expect(error.message).toBe(`POST ${baseUrl}/oauth2/token got no response (fetch failed: ECONNREFUSED) after 1 attempt`)
  })
})
