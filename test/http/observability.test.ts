// What an operator sees: Prometheus text on the metrics listener (requests by route and
// status, latency, problems, rate-limit refusals, tokens, pool use), request logs that name the
// client and provider but never filter values or secrets, and audit lines for tokens and writes.
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { redactQuery } from '../../src/observability/log-redaction.js'
import { Metrics } from '../../src/observability/metrics.js'
import { startMetricsServer, type MetricsServer } from '../../src/observability/metrics-server.js'
import { bearer, createClient, createTestApp, requestToken } from '../support/api.js'
import { importAll, PROVIDER_A, SEED } from '../support/fixtures.js'
import { openTestStore, type TestStore } from '../support/stores.js'

let opened: TestStore
let app: FastifyInstance
let metricsServer: MetricsServer
const lines: Array<Record<string, unknown>> = []

beforeAll(async () => {
  opened = await openTestStore('embedded')
  await importAll(opened.store, SEED)
  const metrics = new Metrics({ poolStats: () => ({ total: 3, idle: 2, waiting: 0 }) })
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  app = await createTestApp(opened.store, {
    metrics,
    logger: { level: 'info', stream },
    rateLimits: { perClient: 2, tokenPerClient: 0, tokenPerAddress: 0 },
  })
  metricsServer = await startMetricsServer(metrics, 0, '127.0.0.1')
})
afterAll(async () => {
  await metricsServer.close()
  await app.close()
  await opened.dispose()
})

it('serves Prometheus text at /metrics on its own listener, counting what the API answered', async () => {
  const { clientId, secret } = await createClient(opened.store, PROVIDER_A)
  const token = (await requestToken(app, clientId, secret)).json().access_token as string
  expect((await requestToken(app, clientId, 'wrong')).statusCode).toBe(401)
  for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/v2/tickets/tickets?limit=1', headers: bearer(token) })
  await app.inject({ method: 'GET', url: '/nowhere' })

  const response = await fetch(`http://127.0.0.1:${metricsServer.port}/metrics`)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `))
    return line === undefined ? undefined : Number(line.slice(series.length + 1))
  }
  expect(value('tickets_http_requests_total{route="/v2/tickets/tickets",method="GET",status="200"}')).toBe(2)
  expect(value('tickets_http_requests_total{route="/v2/tickets/tickets",method="GET",status="429"}')).toBe(1)
  expect(value('tickets_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1)
  expect(value('tickets_rate_limit_refusals_total{policy="client"}')).toBe(1)
  expect(value('tickets_problems_total{code="rate-limited"}')).toBe(1)
  expect(value('tickets_problems_total{code="invalid-client"}')).toBe(1)
  expect(value('tickets_tokens_issued_total')).toBe(1)
  expect(value('tickets_token_refusals_total{error="invalid-client"}')).toBe(1)
  expect(value('tickets_http_request_duration_seconds_count{route="/v2/tickets/tickets",method="GET"}')).toBe(3)
  expect(value('tickets_db_pool_connections{state="busy"}')).toBe(1)
  expect(value('tickets_db_pool_waiting')).toBe(0)
  expect(text).toMatch(/^tickets_process_resident_memory_bytes \d+/m)
  expect((await fetch(`http://127.0.0.1:${metricsServer.port}/other`)).status).toBe(404)
})

it('logs requests with the client and provider, without query values', async () => {
  lines.length = 0
  const { clientId, secret } = await createClient(opened.store, PROVIDER_A)
  const token = (await requestToken(app, clientId, secret)).json().access_token as string
  await app.inject({
    method: 'GET',
    url: '/v2/tickets/tickets?vin=WVWZZZ1JZXW000001&customer_id=160c0c4b-9966-4dc1-a916-8407eb10d74e',
    headers: bearer(token),
  })
  await app.inject({
    method: 'POST',
    url: `/oauth2/token?client_secret=${secret}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials',
  })
  const text = JSON.stringify(lines)
  expect(text).not.toContain('WVWZZZ1JZXW000001')
  expect(text).not.toContain('160c0c4b-9966-4dc1-a916-8407eb10d74e')
  expect(text).not.toContain(secret)
  const incoming = lines.find((l) => (l.req as { url?: string } | undefined)?.url?.startsWith('/v2/tickets/tickets'))
  expect((incoming!.req as { url: string }).url).toBe('/v2/tickets/tickets?vin=*&customer_id=*')
  const completed = lines.find((l) => l.msg === 'request completed' && l.clientId === clientId)
  expect(completed).toMatchObject({ clientId, providerId: PROVIDER_A })
})

it('writes audit lines for tokens issued and refused and for every ticket write', async () => {
  lines.length = 0
  const { clientId, secret } = await createClient(opened.store, PROVIDER_A)
  const token = (await requestToken(app, clientId, secret)).json().access_token as string
  await requestToken(app, clientId, 'wrong')
  const id = SEED.find((s) => s.providerId === PROVIDER_A)!.ticket.id
  const patched = await app.inject({
    method: 'PATCH',
    url: `/v2/tickets/tickets/${id}`,
    headers: { ...bearer(token), 'content-type': 'application/json' },
    payload: { externally_processed: true },
  })
  expect(patched.statusCode).toBe(200)
  const audits = lines
    .filter((l) => l.audit !== undefined)
    .map((l) => ({ audit: l.audit, clientId: l.clientId, code: l.code, ticketId: l.ticketId, fields: l.fields }))
  expect(audits).toEqual([
    { audit: 'token.issued', clientId, code: undefined, ticketId: undefined, fields: undefined },
    { audit: 'token.refused', clientId, code: 'invalid-client', ticketId: undefined, fields: undefined },
    { audit: 'ticket.updated', clientId, code: undefined, ticketId: id, fields: ['externally_processed'] },
  ])
})

it('redacts every query value but keeps the names', () => {
  expect(redactQuery('/v2/tickets/tickets')).toBe('/v2/tickets/tickets')
  expect(redactQuery('/a?x=1&y=&z&sort_by[created_at]=desc')).toBe('/a?x=*&y=*&z&sort_by[created_at]=*')
})
