// PATCH /v2/tickets/tickets/{ticket-id}: the write-back of external_reference and
// externally_processed, with a fixed clock so updated_at is predictable.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Ticket } from '../../src/contract/ticket.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A, PROVIDER_B, seedStore, ticketsOf } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { getTicket } from '../support/store-queries.js'

const PATH = '/v2/tickets/tickets'
const NOW = '2027-02-03T04:05:06.789Z'
const UNKNOWN_ID = 'deadbeef-0000-4000-8000-000000000000'
const JSON_TYPE = 'application/json'
const MERGE_PATCH = 'application/merge-patch+json'
const PATCHABLE =
  'patchable members are external_reference, externally_processed, customer_reference, operator_reference, vehicle_model_id, voucher_code, vin'

function expectProblem(response: LightMyRequestResponse, status: number, body: Record<string, unknown>) {
  expect(response.statusCode).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/)
  expect(response.json()).toEqual({ type: 'about:blank', status, ...body })
}

const invalidBody = (detail: string, errors?: unknown[]) => ({
  title: 'Bad Request',
  code: 'invalid-body',
  detail,
  ...(errors ? { errors } : {}),
})

describeEachStore(
  'PATCH /v2/tickets/tickets/{ticket-id}',
  (ctx) => {
    let app: FastifyInstance
    let token: string
    // Each test changes its own ticket of provider A, so the tests do not depend on each other.
    // The expected values come from the store (it normalizes timestamps, e.g. .570Z → .57Z).
    const unused = ticketsOf(PROVIDER_A).map((t) => t.id)
    const freshTicket = async (): Promise<Ticket> => (await stored(unused.shift()!))!

    const patch = (id: string, payload: unknown, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'PATCH',
        url: `${PATH}/${id}`,
        headers: { ...bearer(token), 'content-type': JSON_TYPE, ...headers },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      })
    const get = (id: string) => app.inject({ method: 'GET', url: `${PATH}/${id}`, headers: bearer(token) })
    const stored = (id: string, providerId = PROVIDER_A) => getTicket(ctx.store.db, { providerId }, id)

    async function expectRefused(payload: unknown, status: number, body: Record<string, unknown>, headers?: Record<string, string>) {
      const target = await freshTicket()
      expectProblem(await patch(target.id, payload, headers), status, body)
      expect(await stored(target.id)).toEqual(target)
    }

    beforeAll(async () => {
      app = await createTestApp(ctx.store, { clock: () => new Date(NOW) })
      token = await tokenFor(app, ctx.store, PROVIDER_A)
    })
    afterAll(async () => {
      await app.close()
    })

    it('sets external_reference from an application/json body and returns the whole ticket', async () => {
      const target = await freshTicket()
      const response = await patch(target.id, { external_reference: 'INV-2027-001' })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.json()).toEqual({ ...target, external_reference: 'INV-2027-001', updated_at: NOW })
    })

    it('sets externally_processed from an application/merge-patch+json body', async () => {
      const target = await freshTicket()
      const response = await patch(target.id, { externally_processed: true }, { 'content-type': MERGE_PATCH })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ ...target, externally_processed: true, updated_at: NOW })
    })

    it('sets both members at once, and GET afterwards shows the change', async () => {
      const target = await freshTicket()
      const expected = { ...target, external_reference: 'ERP-9', externally_processed: true, updated_at: NOW }
      expect((await patch(target.id, { external_reference: 'ERP-9', externally_processed: true })).json()).toEqual(expected)
      expect((await get(target.id)).json()).toEqual(expected)
    })

    it('returns a new ETag, the one a following GET sends', async () => {
      const target = await freshTicket()
      const before = String((await get(target.id)).headers['etag'])
      const response = await patch(target.id, { external_reference: 'tagged' })
      const etag = response.headers['etag']
      expect(etag).toMatch(/^"[^"]+"$/)
      expect(etag).not.toBe(before)
      expect((await get(target.id)).headers['etag']).toBe(etag)
    })

    it('answers the stored document: the bytes and ETag a following GET sends', async () => {
      const target = await freshTicket()
      // Characters serializers are known to disagree on (escapes, U+2028, non-ASCII, astral).
      const response = await patch(target.id, { external_reference: 'q"\\/\n\t\u0001\u2028é😀', externally_processed: true })
      expect(response.statusCode).toBe(200)
      const after = await get(target.id)
      expect(response.rawPayload.equals(after.rawPayload)).toBe(true)
      expect(response.headers['etag']).toBe(after.headers['etag'])
      expect(response.headers['content-type']).toBe(after.headers['content-type'])
      expect(response.headers['content-length']).toBe(after.headers['content-length'])
    })

    it('is idempotent: the same patch twice leaves the same field values', async () => {
      const target = await freshTicket()
      const first = await patch(target.id, { external_reference: 'twice', externally_processed: true })
      const second = await patch(target.id, { external_reference: 'twice', externally_processed: true })
      expect(second.statusCode).toBe(200)
      expect(second.json()).toEqual(first.json())
      expect(second.headers['etag']).toBe(first.headers['etag'])
    })

    it('clears a reference with an empty string and accepts false', async () => {
      const target = await freshTicket()
      await patch(target.id, { external_reference: 'x', externally_processed: true })
      const response = await patch(target.id, { external_reference: '', externally_processed: false })
      expect(response.json()).toEqual({ ...target, updated_at: NOW })
    })

    it('applies the patch when If-Match carries the current ETag', async () => {
      const target = await freshTicket()
      const etag = String((await get(target.id)).headers['etag'])
      const response = await patch(target.id, { externally_processed: true }, { 'if-match': etag })
      expect(response.statusCode).toBe(200)
      expect(response.json().externally_processed).toBe(true)
      // The tag PATCH returns is the one the next GET sends: If-Match with it goes through.
      expect((await get(target.id)).headers['etag']).toBe(response.headers['etag'])
      expect(response.headers['etag']).not.toBe(etag)
    })

    it('applies the patch when If-Match is *', async () => {
      const target = await freshTicket()
      const response = await patch(target.id, { external_reference: 'star' }, { 'if-match': '*' })
      expect(response.statusCode).toBe(200)
      expect(response.json().external_reference).toBe('star')
    })

    it('refuses a stale If-Match with 412 and changes nothing', async () => {
      const target = await freshTicket()
      const stale = String((await get(target.id)).headers['etag'])
      await patch(target.id, { external_reference: 'moved on' })
      const changed = await stored(target.id)
      expectProblem(await patch(target.id, { external_reference: 'lost update' }, { 'if-match': stale }), 412, {
        title: 'Precondition Failed',
        detail: 'The ticket has changed since the ETag given in If-Match; fetch it again.',
        code: 'precondition-failed',
      })
      expect(await stored(target.id)).toEqual(changed)
    })

    it('refuses an empty object: at least one member is needed', async () => {
      await expectRefused(
        {},
        400,
        invalidBody(
          'The request body is invalid: body must set at least one of external_reference, externally_processed, customer_reference, operator_reference, vehicle_model_id, voucher_code, vin.',
          [
            {
              in: 'body',
              name: 'body',
              detail:
                'must set at least one of external_reference, externally_processed, customer_reference, operator_reference, vehicle_model_id, voucher_code, vin',
            },
          ],
        ),
      )
    })

    it('refuses read-only ticket fields, saying they are read-only', async () => {
      for (const [name, value] of [
        ['state', 'closed'],
        ['id', UNKNOWN_ID],
        ['updated_at', NOW],
        ['ticket_number', 1],
      ] as const) {
        await expectRefused(
          { [name]: value },
          400,
          invalidBody(`The request body is invalid: ${name} is read-only.`, [{ in: 'body', name, detail: 'is read-only' }]),
        )
      }
    })

    it('refuses a member that is not a ticket field, naming it', async () => {
      await expectRefused(
        { external_reference: 'ok', externaly_processed: true },
        400,
        invalidBody(`The request body is invalid: externaly_processed is not a member of a ticket patch; ${PATCHABLE}.`, [
          { in: 'body', name: 'externaly_processed', detail: `is not a member of a ticket patch; ${PATCHABLE}` },
        ]),
      )
    })

    it('reports several bad members with one errors[] entry each', async () => {
      const target = await freshTicket()
      const response = await patch(target.id, { state: 'closed', colour: 'red', externally_processed: 'yes', external_reference: 5 })
      expect(response.statusCode).toBe(400)
      const { errors } = response.json() as { errors: Array<{ name: string; detail: string }> }
      expect(errors).toHaveLength(4)
      expect(errors).toEqual(
        expect.arrayContaining([
          { in: 'body', name: 'state', detail: 'is read-only' },
          { in: 'body', name: 'colour', detail: `is not a member of a ticket patch; ${PATCHABLE}` },
          { in: 'body', name: 'externally_processed', detail: 'must be a boolean' },
          { in: 'body', name: 'external_reference', detail: 'must be a string' },
        ]),
      )
      expect(await stored(target.id)).toEqual(target)
    })

    it('refuses wrong member types without coercing them', async () => {
      const cases: Array<[unknown, string, string]> = [
        [{ externally_processed: 'true' }, 'externally_processed', 'must be a boolean'],
        [{ externally_processed: 1 }, 'externally_processed', 'must be a boolean'],
        [{ externally_processed: null }, 'externally_processed', 'must be a boolean'],
        [{ external_reference: 42 }, 'external_reference', 'must be a string'],
        [{ external_reference: null }, 'external_reference', 'must be a string'],
        [{ external_reference: ['a'] }, 'external_reference', 'must be a string'],
      ]
      for (const [payload, name, detail] of cases) {
        await expectRefused(payload, 400, invalidBody(`The request body is invalid: ${name} ${detail}.`, [{ in: 'body', name, detail }]))
      }
    })

    it('accepts an external_reference of 255 characters and refuses 256', async () => {
      const target = await freshTicket()
      const ok = await patch(target.id, { external_reference: 'r'.repeat(255) })
      expect(ok.statusCode).toBe(200)
      expect(ok.json().external_reference).toBe('r'.repeat(255))
      await expectRefused(
        { external_reference: 'r'.repeat(256) },
        400,
        invalidBody('The request body is invalid: external_reference must be at most 255 characters.', [
          { in: 'body', name: 'external_reference', detail: 'must be at most 255 characters' },
        ]),
      )
    })

    it('counts characters, not bytes: 255 non-ASCII characters are accepted', async () => {
      const target = await freshTicket()
      const response = await patch(target.id, { external_reference: 'é'.repeat(255) })
      expect(response.statusCode).toBe(200)
      expect(response.json().external_reference).toBe('é'.repeat(255))
    })

    it('refuses invalid JSON', async () => {
      await expectRefused('{"external_reference": ', 400, invalidBody('The request body is not valid JSON.'))
    })

    it('refuses a body that is not a JSON object (array, null, string)', async () => {
      const notAnObject = invalidBody('The request body is invalid: body must be a JSON object.', [
        { in: 'body', name: 'body', detail: 'must be a JSON object' },
      ])
      for (const payload of ['[{"externally_processed":true}]', 'null', '"text"', '17']) await expectRefused(payload, 400, notAnObject)
    })

    it('refuses a request without a body', async () => {
      const target = await freshTicket()
      const withType = await app.inject({
        method: 'PATCH',
        url: `${PATH}/${target.id}`,
        headers: { ...bearer(token), 'content-type': JSON_TYPE },
      })
      expectProblem(withType, 400, invalidBody('The request body is empty but its content type says JSON.'))
      const bare = await app.inject({ method: 'PATCH', url: `${PATH}/${target.id}`, headers: bearer(token) })
      expect(bare.statusCode).toBe(400)
      expect(bare.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(bare.json().code).toBe('invalid-body')
      expect(await stored(target.id)).toEqual(target)
    })

    it('refuses a text/plain body with 415', async () => {
      await expectRefused(
        '{"externally_processed":true}',
        415,
        {
          title: 'Unsupported Media Type',
          code: 'unsupported-media-type',
          detail: 'This content type is not accepted here; send application/json or application/merge-patch+json.',
          errors: [{ in: 'header', name: 'content-type', detail: 'must be application/json or application/merge-patch+json' }],
        },
        { 'content-type': 'text/plain' },
      )
    })

    it('refuses a body over 1 MiB with 413', async () => {
      const huge = JSON.stringify({ external_reference: 'x'.repeat(1024 * 1024) })
      await expectRefused(huge, 413, {
        title: 'Content Too Large',
        code: 'payload-too-large',
        detail: 'The request body is larger than the 1 MiB limit.',
      })
    })

    it('needs the tickets:write or tickets:manage scope: a read-only token gets 403 insufficient-scope', async () => {
      const readOnly = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
      const target = await freshTicket()
      const response = await patch(target.id, { externally_processed: true }, bearer(readOnly))
      expectProblem(response, 403, {
        title: 'Forbidden',
        code: 'insufficient-scope',
        detail: 'This operation needs the tickets:write or tickets:manage scope.',
      })
      expect(response.headers['www-authenticate']).toContain('error="insufficient_scope"')
      expect(response.headers['www-authenticate']).toContain('scope="tickets:write tickets:manage"')
      expect(await stored(target.id)).toEqual(target)
    })

    it('answers 404 for another provider’s ticket and leaves it unchanged', async () => {
      const foreign = (await stored(ticketsOf(PROVIDER_B)[0]!.id, PROVIDER_B))!
      expectProblem(await patch(foreign.id, { externally_processed: true, external_reference: 'hijack' }), 404, {
        title: 'Not Found',
        code: 'ticket-not-found',
        detail: `No ticket ${foreign.id} exists for this client.`,
      })
      expect(await stored(foreign.id, PROVIDER_B)).toEqual(foreign)
    })

    it('answers 404 for an unknown id', async () => {
      expectProblem(await patch(UNKNOWN_ID, { externally_processed: true }), 404, {
        title: 'Not Found',
        code: 'ticket-not-found',
        detail: `No ticket ${UNKNOWN_ID} exists for this client.`,
      })
    })

    it('answers 400 invalid-path for a malformed id, even with a bad body', async () => {
      for (const payload of [{ externally_processed: true }, { state: 'closed' }]) {
        expectProblem(await patch('12345', payload), 400, {
          title: 'Bad Request',
          code: 'invalid-path',
          detail: 'The ticket id "12345" is not a UUID.',
          errors: [{ in: 'path', name: 'ticket-id', detail: 'must be a UUID such as 497f6eca-6276-4993-bfeb-53cbbbba6f08' }],
        })
      }
    })
  },
  seedStore,
)
