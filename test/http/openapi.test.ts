// /openapi.json is a valid OpenAPI 3.1 document, /docs renders it, and live responses match it.
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bearer, createClient, createTestApp, requestToken, tokenFor } from '../support/api.js'
import { EDGE_TICKETS, PROVIDER_A, seedStore } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks an arbitrary JSON document
type Json = Record<string, any>
const DOCUMENT_ID = 'https://tickets.test/openapi.json'
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']

describeEachStore(
  'OpenAPI document and live responses',
  (ctx) => {
    let app: FastifyInstance
    let token: string
    let document: Json
    let ajv: Ajv2020

    /** The schema the document gives for this operation's response status and media type. */
    function documentedSchema(path: string, method: string, response: LightMyRequestResponse): ValidateFunction {
      const responses = document.paths[path][method].responses as Json
      const described = responses[String(response.statusCode)] ?? responses.default
      expect(described, `${method} ${path} ${response.statusCode} is documented`).toBeDefined()
      const mediaType = String(response.headers['content-type']).split(';')[0]!.trim()
      const media = described.content?.[mediaType]
      expect(media, `${method} ${path} ${response.statusCode} documents ${mediaType}`).toBeDefined()
      return ajv.compile({ $ref: `${DOCUMENT_ID}${media.schema.$ref}` })
    }

    function expectValid(validate: ValidateFunction, body: unknown) {
      const valid = validate(body)
      expect(validate.errors ?? [], JSON.stringify(body).slice(0, 300)).toEqual([])
      expect(valid).toBe(true)
    }

    const expectDocumented = (path: string, method: string, response: LightMyRequestResponse) =>
      expectValid(documentedSchema(path, method, response), response.json())
    const problemSchema = () => ajv.compile({ $ref: `${DOCUMENT_ID}#/components/schemas/Problem` })

    beforeAll(async () => {
      app = await createTestApp(ctx.store)
      token = await tokenFor(app, ctx.store, PROVIDER_A)
      document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
      ajv = new Ajv2020({ strict: false, allErrors: true })
      addFormats(ajv)
      ajv.addSchema({ $id: DOCUMENT_ID, components: document.components })
    })
    afterAll(async () => {
      await app.close()
    })

    it('serves /openapi.json as a valid OpenAPI 3.1 document', async () => {
      const response = await app.inject({ method: 'GET', url: '/openapi.json' })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(document.openapi).toMatch(/^3\.1\./)
      const result = await new Validator().validate(document)
      expect(result.errors ?? []).toEqual([])
      expect(result.valid).toBe(true)
    })

    it('documents the ticket, list, patch, token and problem shapes as components', () => {
      for (const name of ['Ticket', 'TicketList', 'TicketPatch', 'TokenResponse', 'Problem'])
        expect(document.components.schemas).toHaveProperty(name)
      expect(Object.keys(document.components.schemas.Ticket.properties)).toHaveLength(23)
    })

    it('serves /docs as an HTML page listing every operation of the document', async () => {
      const response = await app.inject({ method: 'GET', url: '/docs' })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^text\/html/)
      const operations = Object.entries<Json>(document.paths).flatMap(([path, item]) =>
        Object.entries<Json>(item)
          .filter(([method]) => HTTP_METHODS.includes(method))
          .map(([method, op]) => ({ path, method, op })),
      )
      expect(operations.length).toBeGreaterThanOrEqual(6)
      for (const { path, method, op } of operations) {
        expect(response.body).toContain(`id="${op.operationId}"`)
        expect(response.body).toContain(`<span class="m">${method.toUpperCase()}</span> <code>${path}</code>`)
      }
    })

    it('uses schemas strict enough to catch a wrong body (so the checks below mean something)', async () => {
      const response = await app.inject({ method: 'GET', url: `/v2/tickets/tickets/${EDGE_TICKETS[0]!.id}`, headers: bearer(token) })
      const validate = documentedSchema('/v2/tickets/tickets/{ticket-id}', 'get', response)
      const good = response.json()
      expect(validate(good)).toBe(true)
      const { vin: _vin, ...missing } = good
      for (const bad of [
        { ...good, extra: 1 },
        missing,
        { ...good, state: 'lost' },
        { ...good, created_at: '2024-01-01' },
        { ...good, id: 'x' },
      ])
        expect(validate(bad), JSON.stringify(bad).slice(0, 80)).toBe(false)
      expect(problemSchema()({ type: 'about:blank', title: 'Bad Request', status: 400 })).toBe(false)
    })

    it('matches a list response', async () => {
      const response = await app.inject({
        method: 'GET',
        url: '/v2/tickets/tickets?limit=1000&sort_by[ticket_number]=desc&state=closed,cancelled',
        headers: bearer(token),
      })
      expect(response.statusCode).toBe(200)
      expect(response.json().result.length).toBeGreaterThan(0)
      expectDocumented('/v2/tickets/tickets', 'get', response)
      const everything = await app.inject({ method: 'GET', url: '/v2/tickets/tickets?limit=1000', headers: bearer(token) })
      expectDocumented('/v2/tickets/tickets', 'get', everything)
    })

    it('matches single tickets, including nulls and microsecond timestamps', async () => {
      for (const expected of EDGE_TICKETS) {
        const response = await app.inject({ method: 'GET', url: `/v2/tickets/tickets/${expected.id}`, headers: bearer(token) })
        expect(response.statusCode).toBe(200)
        expectDocumented('/v2/tickets/tickets/{ticket-id}', 'get', response)
      }
    })

    it('matches a PATCH response', async () => {
      const response = await app.inject({
        method: 'PATCH',
        url: `/v2/tickets/tickets/${EDGE_TICKETS[2]!.id}`,
        headers: { ...bearer(token), 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ externally_processed: true }),
      })
      expect(response.statusCode).toBe(200)
      expectDocumented('/v2/tickets/tickets/{ticket-id}', 'patch', response)
    })

    it('matches a token response and a token error', async () => {
      const { clientId, secret } = await createClient(ctx.store, PROVIDER_A)
      const issued = await requestToken(app, clientId, secret)
      expect(issued.statusCode).toBe(200)
      expectDocumented('/oauth2/token', 'post', issued)
      const refused = await requestToken(app, clientId, 'wrong')
      expect(refused.statusCode).toBe(401)
      expectDocumented('/oauth2/token', 'post', refused)
    })

    it('matches the 400, 401 and 404 problems of the ticket endpoints', async () => {
      const cases: Array<[string, string, Record<string, string>, number]> = [
        ['/v2/tickets/tickets', '/v2/tickets/tickets?limit=5000&colour=red', bearer(token), 400],
        ['/v2/tickets/tickets', '/v2/tickets/tickets', {}, 401],
        ['/v2/tickets/tickets', '/v2/tickets/tickets', { authorization: 'Bearer nonsense' }, 401],
        ['/v2/tickets/tickets/{ticket-id}', '/v2/tickets/tickets/not-a-uuid', bearer(token), 400],
        ['/v2/tickets/tickets/{ticket-id}', '/v2/tickets/tickets/deadbeef-0000-4000-8000-000000000000', bearer(token), 404],
      ]
      for (const [path, url, headers, status] of cases) {
        const response = await app.inject({ method: 'GET', url, headers })
        expect(response.statusCode, url).toBe(status)
        expectDocumented(path, 'get', response)
      }
      const badBody = await app.inject({
        method: 'PATCH',
        url: `/v2/tickets/tickets/${EDGE_TICKETS[0]!.id}`,
        headers: { ...bearer(token), 'content-type': 'application/json' },
        payload: JSON.stringify({ state: 'closed', externally_processed: 'yes' }),
      })
      expect(badBody.statusCode).toBe(400)
      expectDocumented('/v2/tickets/tickets/{ticket-id}', 'patch', badBody)
    })

    it('matches the problem of a 404 route and of a 405 method', async () => {
      const missing = await app.inject({ method: 'GET', url: '/no/such/route' })
      expect(missing.statusCode).toBe(404)
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/)
      expectValid(problemSchema(), missing.json())
      const wrongMethod = await app.inject({ method: 'DELETE', url: `/v2/tickets/tickets/${EDGE_TICKETS[0]!.id}`, headers: bearer(token) })
      expect(wrongMethod.statusCode).toBe(405)
      expect(wrongMethod.headers['content-type']).toMatch(/^application\/problem\+json/)
      expectValid(problemSchema(), wrongMethod.json())
    })

    it('matches the health responses', async () => {
      expectDocumented('/healthz', 'get', await app.inject({ method: 'GET', url: '/healthz' }))
      expectDocumented('/readyz', 'get', await app.inject({ method: 'GET', url: '/readyz' }))
    })
  },
  seedStore,
)
