// The cancel-reason catalogue (GET /v2/tickets/cancel-reasons and /{id}) on both stores, and a
// ticket whose reason is not in the catalogue (imported from elsewhere): still listed and read,
// its reason a 404, and not reopenable. And cancelling a prepared ticket that has no VIN (a
// cancelled ticket must have one): a 409 saying what to do, never a 500.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Ticket } from '../../src/contract/ticket.js'
import type { ImportTicket } from '../../src/store/ticket-transfer.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { CUSTOMER_X, PROVIDER_A, ticket } from '../support/fixtures.js'
import { platformFor, TICKETS, VIN } from '../support/lifecycle.js'
import { describeEachStore } from '../support/stores.js'

const REASONS = '/v2/tickets/cancel-reasons'
const CATALOGUE_IDS = [1, 2, 3, 4, 5, 6, 7, 8, 90, 91]
const ORPHAN_REASON = 555

const orphan: Ticket = ticket({
  id: '5a1e0000-0000-4000-8000-000000000555',
  ticket_number: 5_550_555,
  state: 'cancelled',
  cancel_reason_id: ORPHAN_REASON,
})

async function* batches(entries: ImportTicket[]) {
  yield entries
}

describeEachStore('the cancel-reason catalogue', (ctx) => {
  let app: FastifyInstance
  let token: string
  const get = (path: string) => app.inject({ method: 'GET', url: path, headers: bearer(token) })

  beforeAll(async () => {
    app = await createTestApp(ctx.store)
    token = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
  })
  afterAll(async () => {
    await app.close()
  })

  it('lists the whole catalogue by id, with total and the applied defaults', async () => {
    const response = await get(REASONS)
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body.query).toEqual({ limit: 25, offset: 0 })
    expect(body.total).toBe(CATALOGUE_IDS.length)
    expect(body.result.map((r: { id: number }) => r.id)).toEqual(CATALOGUE_IDS)
    for (const reason of body.result)
      expect(Object.keys(reason).sort()).toEqual(['allows_ticket_reopening', 'customer_fault', 'id', 'manually_applicable', 'name'])
    // The platform's own reasons are listed but not manually applicable.
    const manual = body.result.filter((r: { manually_applicable: boolean }) => r.manually_applicable).map((r: { id: number }) => r.id)
    expect(manual).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('pages with limit and offset; total ignores the page', async () => {
    const body = (await get(`${REASONS}?limit=3&offset=2`)).json()
    expect(body.query).toEqual({ limit: 3, offset: 2 })
    expect(body.total).toBe(CATALOGUE_IDS.length)
    expect(body.result.map((r: { id: number }) => r.id)).toEqual([3, 4, 5])
    expect((await get(`${REASONS}?offset=8`)).json().result.map((r: { id: number }) => r.id)).toEqual([90, 91])
    const none = (await get(`${REASONS}?limit=0`)).json()
    expect(none).toMatchObject({ total: CATALOGUE_IDS.length, result: [] })
    expect((await get(`${REASONS}?offset=100`)).json()).toMatchObject({ total: CATALOGUE_IDS.length, result: [] })
  })

  it('gets one reason, the same as listed', async () => {
    const listed = (await get(REASONS)).json().result
    for (const id of [1, 4, 90, 91]) {
      const response = await get(`${REASONS}/${id}`)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual(listed.find((r: { id: number }) => r.id === id))
    }
    expect((await get(`${REASONS}/90`)).json()).toEqual({
      id: 90,
      name: 'Reclaimed by the provider that outsourced the ticket.',
      allows_ticket_reopening: false,
      customer_fault: false,
      manually_applicable: false,
    })
  })

  it('404 for an id not in the catalogue, including ones beyond int32', async () => {
    for (const id of ['9', '89', '92', '999999', '2147483648', '9223372036854775807']) {
      const response = await get(`${REASONS}/${id}`)
      expect(response.statusCode, id).toBe(404)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.json(), id).toMatchObject({ code: 'cancel-reason-not-found' })
    }
  })

  it('400 for a malformed id, a stray parameter on get, and bad or unknown list parameters', async () => {
    for (const id of ['0', '-1', 'abc', '1.5', '9223372036854775808']) {
      const response = await get(`${REASONS}/${id}`)
      expect(response.statusCode, id).toBe(400)
      expect(response.json(), id).toMatchObject({ code: 'invalid-path', errors: [{ in: 'path' }] })
    }
    const stray = await get(`${REASONS}/1?verbose=true`)
    expect(stray.statusCode).toBe(400)
    expect(stray.json()).toMatchObject({ code: 'invalid-query', errors: [{ in: 'query', name: 'verbose' }] })
    for (const query of ['limit=-1', 'limit=1001', 'limit=x', 'offset=-1', 'sort=id', 'foo=1']) {
      const response = await get(`${REASONS}?${query}`)
      expect(response.statusCode, query).toBe(400)
      expect(response.json().errors?.[0]?.in, query).toBe('query')
    }
  })

  it('keeps a ticket imported with a reason outside the catalogue: listed and read, its reason 404, not reopenable', async () => {
    const result = await ctx.store.importTickets(batches([{ line: 1, providerId: PROVIDER_A, ticket: orphan }]))
    expect(result.inserted + result.updated).toBe(1)
    const listed = (await get(`${TICKETS}?cancel_reason_id=${ORPHAN_REASON}`)).json()
    expect(listed.total).toBe(1)
    expect(listed.result[0]).toEqual(orphan)
    expect((await get(`${TICKETS}/${orphan.id}`)).json()).toEqual(orphan)
    expect((await get(`${REASONS}/${ORPHAN_REASON}`)).statusCode).toBe(404)

    const manager = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read', 'tickets:write', 'tickets:manage'])
    const reopen = await app.inject({ method: 'POST', url: `${TICKETS}/${orphan.id}/reopen`, headers: bearer(manager) })
    expect(reopen.statusCode).toBe(409)
    expect(reopen.json()).toMatchObject({ code: 'transition-not-allowed', state: 'cancelled' })
    expect(reopen.json().detail).toContain('not in the catalogue')
    expect((await get(`${TICKETS}/${orphan.id}`)).json()).toEqual(orphan)
  })
  it('refuses to cancel a prepared ticket without a VIN with a 409, and cancels it once it has one', async () => {
    const platform = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
    const prepared = await platform.create({ state: 'prepared', vin: undefined })
    const refused = await platform.act(prepared.id, 'cancel', { cancel_reason_id: 1 })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ code: 'transition-not-allowed', state: 'prepared' })
    expect(refused.json().detail).toContain('no VIN')
    expect(await platform.ticket(prepared.id)).toMatchObject({ state: 'prepared', vin: null })
    expect(await platform.events(prepared.id)).toHaveLength(1)
    expect((await platform.patch(prepared.id, { vin: VIN })).statusCode).toBe(200)
    const cancelled = await platform.act(prepared.id, 'cancel', { cancel_reason_id: 1 })
    expect(cancelled.statusCode).toBe(200)
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', vin: VIN, cancel_reason_id: 1 })
  })
})
