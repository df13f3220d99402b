// GET /v2/tickets/tickets/{ticket-id}: one ticket of the caller's provider, with an ETag.
import type { FastifyInstance } from 'fastify'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { TICKET_FIELDS } from '../../src/contract/ticket.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { EDGE_TICKETS, PROVIDER_A, PROVIDER_B, seedStore, ticketsOf } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

const PATH = '/v2/tickets/tickets'
const UNKNOWN_ID = 'deadbeef-0000-4000-8000-000000000000'
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/
const TIMESTAMPS = ['assigned_at', 'created_at', 'finished_at', 'updated_at'] as const

function expectProblem(response: LightMyRequestResponse, status: number, body: Record<string, unknown>) {
  expect(response.statusCode).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
  expect(response.json()).toEqual({ type: 'about:blank', status, ...body })
}

const notFoundBody = (id: string) => ({
  title: 'Not Found',
  detail: `No ticket ${id} exists for this client.`,
  code: 'ticket-not-found',
})

describeEachStore(
  'GET /v2/tickets/tickets/{ticket-id}',
  (ctx) => {
    let app: FastifyInstance
    let token: string
    const get = (id: string, headers: Record<string, string> = {}) =>
      app.inject({ method: 'GET', url: `${PATH}/${id}`, headers: { ...bearer(token), ...headers } })

    beforeAll(async () => {
      app = await createTestApp(ctx.store)
      token = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
    })
    afterAll(async () => {
      await app.close()
    })

    it('returns the ticket exactly as stored, with exactly the 23 fields of the contract', async () => {
      const expected = EDGE_TICKETS[4]!
      const response = await get(expected.id)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      const body = response.json()
      expect(Object.keys(body).sort()).toEqual([...TICKET_FIELDS].sort())
      expect(Object.keys(body)).toHaveLength(23)
      expect(body).toEqual(expected)
    })

    it('serializes every timestamp as RFC 3339 in UTC with Z', async () => {
      for (const expected of ticketsOf(PROVIDER_A).slice(0, 12)) {
        const body = (await get(expected.id)).json()
        for (const field of TIMESTAMPS) {
          if (body[field] !== null) expect(body[field], `${expected.id} ${field}`).toMatch(RFC3339_UTC)
        }
      }
    })

    it('keeps nulls as nulls (a prepared ticket without VIN, assignment or finish)', async () => {
      const prepared = EDGE_TICKETS[3]!
      const body = (await get(prepared.id)).json()
      expect(body).toMatchObject({ state: 'prepared', vin: null, assigned_at: null, finished_at: null, voucher_code: null })
    })

    it('accepts an uppercase UUID and answers with the canonical lowercase id', async () => {
      const expected = EDGE_TICKETS[0]!
      const response = await get(expected.id.toUpperCase())
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual(expected)
    })

    it('rejects a malformed id with invalid-path naming ticket-id', async () => {
      expectProblem(await get('not-a-uuid'), 400, {
        title: 'Bad Request',
        detail: 'The ticket id "not-a-uuid" is not a UUID.',
        code: 'invalid-path',
        errors: [{ in: 'path', name: 'ticket-id', detail: 'must be a UUID such as 497f6eca-6276-4993-bfeb-53cbbbba6f08' }],
      })
      for (const bad of [
        '497f6eca-6276-4993-bfeb-53cbbbba6f0',
        '497f6eca62764993bfeb53cbbbba6f08',
        'zzzzzzzz-6276-4993-bfeb-53cbbbba6f08',
      ]) {
        const response = await get(bad)
        expect(response.statusCode, bad).toBe(400)
        expect(response.json().code, bad).toBe('invalid-path')
      }
    })

    it('answers an unknown id with 404 ticket-not-found', async () => {
      expectProblem(await get(UNKNOWN_ID), 404, notFoundBody(UNKNOWN_ID))
    })

    it('answers another provider’s ticket exactly like an unknown one: 404, never 403', async () => {
      const foreign = ticketsOf(PROVIDER_B)[0]!.id
      const response = await get(foreign)
      expectProblem(response, 404, notFoundBody(foreign))
      expect(response.headers['etag']).toBeUndefined()
      const unknown = await get(UNKNOWN_ID)
      expect(Object.keys(response.json())).toEqual(Object.keys(unknown.json()))
      expect(response.json().detail.replace(foreign, 'ID')).toBe(unknown.json().detail.replace(UNKNOWN_ID, 'ID'))
    })

    it('sends a strong ETag that stays the same while the ticket does not change', async () => {
      const id = EDGE_TICKETS[1]!.id
      const first = await get(id)
      const second = await get(id)
      expect(first.headers['etag']).toMatch(/^"[^"]+"$/)
      expect(second.headers['etag']).toBe(first.headers['etag'])
      expect((await get(EDGE_TICKETS[2]!.id)).headers['etag']).not.toBe(first.headers['etag'])
    })

    it('answers If-None-Match with the current ETag with 304 and no body', async () => {
      const id = EDGE_TICKETS[1]!.id
      const etag = String((await get(id)).headers['etag'])
      const response = await get(id, { 'if-none-match': etag })
      expect(response.statusCode).toBe(304)
      expect(response.body).toBe('')
      expect(response.headers['etag']).toBe(etag)
    })

    it('compares If-None-Match weakly: W/"…" of the current tag also gives 304', async () => {
      const id = EDGE_TICKETS[1]!.id
      const etag = String((await get(id)).headers['etag'])
      const response = await get(id, { 'if-none-match': `W/${etag}` })
      expect(response.statusCode).toBe(304)
      expect(response.body).toBe('')
    })

    it('finds the current tag in an If-None-Match list', async () => {
      const id = EDGE_TICKETS[1]!.id
      const etag = String((await get(id)).headers['etag'])
      expect((await get(id, { 'if-none-match': `"other", ${etag}` })).statusCode).toBe(304)
    })

    it('answers If-None-Match with another tag with 200 and the ticket', async () => {
      const expected = EDGE_TICKETS[1]!
      const response = await get(expected.id, { 'if-none-match': '"not-the-current-tag"' })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual(expected)
    })

    it('answers If-None-Match: * with 304 for an existing ticket', async () => {
      const response = await get(EDGE_TICKETS[1]!.id, { 'if-none-match': '*' })
      expect(response.statusCode).toBe(304)
      expect(response.body).toBe('')
    })

    it('still answers 404 for an unknown ticket when If-None-Match is sent', async () => {
      expectProblem(await get(UNKNOWN_ID, { 'if-none-match': '*' }), 404, notFoundBody(UNKNOWN_ID))
    })

    it('refuses query parameters on this endpoint with 400 naming each one', async () => {
      const id = EDGE_TICKETS[0]!.id
      expectProblem(await get(`${id}?limit=1&state=closed`), 400, {
        title: 'Bad Request',
        detail: 'This operation takes no query parameters (got limit, state).',
        code: 'invalid-query',
        errors: [
          { in: 'query', name: 'limit', detail: 'is not a parameter of this endpoint' },
          { in: 'query', name: 'state', detail: 'is not a parameter of this endpoint' },
        ],
      })
      const flag = await get(`${id}?debug`)
      expect(flag.statusCode).toBe(400)
      expect(flag.json().errors).toEqual([{ in: 'query', name: 'debug', detail: 'is not a parameter of this endpoint' }])
    })
  },
  seedStore,
)
