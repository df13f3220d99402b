// Outsourcing between partnered providers through the API, on both stores: the partner's ticket
// and the outsource it creates, what each side can see, how the partner's join, close and
// cancel reflect on the origin, reclaim and its 409, the 422s, the outsources collection, and
// the history each side keeps.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Ticket } from '../../src/contract/ticket.js'
import { wireTimestamp } from '../../src/domain/lifecycle/events.js'
import { createTestApp } from '../support/api.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B, PROVIDER_C } from '../support/fixtures.js'
import { platformFor, TICKETS, VIN, type Platform } from '../support/lifecycle.js'
import { describeEachStore } from '../support/stores.js'

const OUTSOURCES = '/v2/tickets/outsources'
const START = Date.parse('2027-05-06T07:08:09.123Z')
// A provider pair of its own for the collection tests, so their counts depend on nothing else.
const PROVIDER_L = '11111111-1111-4111-8111-111111111111'
const PROVIDER_M = '22222222-2222-4222-8222-222222222222'
const PROVIDER_N = '33333333-3333-4333-8333-333333333333'
const OPERATOR_Z = '0b3c9a52-1f6e-4f39-9d1a-0d8ff0a3e009'

interface Event {
  id: string
  type: string
  actor: { type: string; id?: string }
  payload: { ticket: { id: string; ticket_number: number; state: string }; parent_ticket: { id: string; ticket_number: number } | null }
  changes: Record<string, { old: unknown; new: unknown }>
}

describeEachStore(
  'outsourcing between partnered providers',
  (ctx) => {
    let app: FastifyInstance
    let a: Platform
    let b: Platform
    let c: Platform
    let now = START
    // Each step a millisecond later, so creation order is visible in created_at.
    const tick = () => new Date((now += 1))
    const at = () => wireTimestamp(new Date(now))

    beforeAll(async () => {
      app = await createTestApp(ctx.store, { signingSecret: 'outsourcing-test-secret-0123456789abcdef', clock: () => new Date(now) })
      a = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
      b = await platformFor(app, ctx.store, PROVIDER_B, CUSTOMER_X)
      c = await platformFor(app, ctx.store, PROVIDER_C, CUSTOMER_X)
    })
    afterAll(async () => {
      await app.close()
    })

    const events = async (platform: Platform, id: string) => (await platform.events(id)) as unknown as Event[]

    /** Outsources `origin` from `from` to `partnerId`; returns the response, the outsource and the partner’s ticket. */
    async function outsource(from: Platform, origin: Ticket, to: Platform, partnerId: string) {
      tick()
      const response = await from.act(origin.id, 'outsource', { provider_id: partnerId })
      expect(response.statusCode, response.body).toBe(200)
      const listed = (await from.get(`${OUTSOURCES}?ticket_id=${origin.id}&state=pending`)).json()
      expect(listed.total).toBe(1)
      const record = listed.result[0]
      const found = (await to.get(`${TICKETS}?ticket_number=${record.ticket_number}`)).json()
      expect(found.total).toBe(1)
      return { response, outsource: record, partner: found.result[0] as Ticket }
    }
    const getOutsource = async (platform: Platform, id: string) => (await platform.get(`${OUTSOURCES}/${id}`)).json()

    describe('the round trip', () => {
      it('outsources a pending ticket: the partner gets its own pending ticket, linked and copied', async () => {
        const origin = await a.create({ voucher_code: 'VC77', customer_reference: 'PO-OUT' })
        const { response, outsource: record, partner } = await outsource(a, origin, b, PROVIDER_B)
        const outsourced = response.json()
        expect(outsourced).toMatchObject({ id: origin.id, state: 'outsourced', outsourced: true, ticket_number: origin.ticket_number })
        expect(response.headers.etag).toBe((await a.get(`${TICKETS}/${origin.id}`)).headers.etag)

        expect(partner.id).not.toBe(origin.id)
        expect(partner.ticket_number).not.toBe(origin.ticket_number)
        expect(partner).toMatchObject({
          state: 'pending',
          source_provider_id: PROVIDER_A,
          customer_id: CUSTOMER_X,
          vehicle_model_id: origin.vehicle_model_id,
          vin: VIN,
          voucher_code: 'VC77',
          outsourced: false,
          operator_id: null,
          assigned_at: null,
          finished_at: null,
          cancel_reason_id: null,
          created_at: at(),
        })
        expect(partner.operator_channel_id).toMatch(/^[0-9a-f-]{36}$/)
        expect(partner.operator_channel_id).not.toBe(origin.operator_channel_id)

        expect(record).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          ticket_id: origin.id,
          provider_id: PROVIDER_B,
          state: 'pending',
          ticket_number: partner.ticket_number,
          assigned_at: null,
          cancel_reason_id: null,
          created_at: at(),
          finished_at: null,
          operator_channel_id: partner.operator_channel_id,
        })
        expect(await getOutsource(a, record.id)).toEqual(record)

        // Each side sees only its own ticket and history.
        for (const path of [`${TICKETS}/${partner.id}`, `${TICKETS}/${partner.id}/events`])
          expect((await a.get(path)).statusCode, path).toBe(404)
        for (const path of [`${TICKETS}/${origin.id}`, `${TICKETS}/${origin.id}/events`])
          expect((await b.get(path)).statusCode, path).toBe(404)
        expect((await a.act(partner.id, 'join', { operator_id: OPERATOR_Y })).statusCode).toBe(404)
        expect((await b.act(origin.id, 'reclaim')).statusCode).toBe(404)
        // The outsource belongs to the provider that outsourced: the partner cannot see it.
        expect((await b.get(`${OUTSOURCES}/${record.id}`)).statusCode).toBe(404)
        expect((await b.get(`${OUTSOURCES}?ticket_id=${origin.id}`)).json().total).toBe(0)

        // An outsourced ticket allows only reclaim.
        const join = await a.act(origin.id, 'join', { operator_id: OPERATOR_Y })
        expect(join.statusCode).toBe(409)
        expect(join.json()).toMatchObject({ code: 'transition-not-allowed', state: 'outsourced', allowed_actions: ['reclaim'] })
        expect((await a.act(origin.id, 'outsource', { provider_id: PROVIDER_B })).statusCode).toBe(409)
      })

      it('partner joins: outsource in_progress; reclaim is 409 from then on, even after the partner releases', async () => {
        const origin = await a.create()
        const { outsource: record, partner } = await outsource(a, origin, b, PROVIDER_B)
        const joinedAt = wireTimestamp(tick())
        expect((await b.act(partner.id, 'join', { operator_id: OPERATOR_Z })).statusCode).toBe(200)
        expect(await getOutsource(a, record.id)).toMatchObject({ state: 'in_progress', assigned_at: joinedAt, finished_at: null })
        expect(await a.ticket(origin.id)).toMatchObject({ state: 'outsourced' })

        const before = (await a.get(`${TICKETS}/${origin.id}`)).body
        const refused = await a.act(origin.id, 'reclaim')
        expect(refused.statusCode).toBe(409)
        expect(refused.json()).toMatchObject({ code: 'transition-not-allowed', state: 'outsourced' })
        expect((await a.get(`${TICKETS}/${origin.id}`)).body).toBe(before)

        // The partner releasing its ticket puts the outsource back to pending, but it has been
        // started on: reclaim stays refused, and assigned_at stays the first join's.
        tick()
        expect((await b.act(partner.id, 'release')).statusCode).toBe(200)
        expect(await getOutsource(a, record.id)).toMatchObject({ state: 'pending', assigned_at: joinedAt })
        expect((await a.act(origin.id, 'reclaim')).statusCode).toBe(409)
        expect((await b.ticket(partner.id)).state).toBe('pending')
      })

      it('partner closes: the outsource and the origin close, the origin by the system', async () => {
        const origin = await a.create()
        const { outsource: record, partner } = await outsource(a, origin, b, PROVIDER_B)
        tick()
        await b.act(partner.id, 'join', { operator_id: OPERATOR_Z })
        const closedAt = wireTimestamp(tick())
        const closed = await b.act(partner.id, 'close', { operator_reference: 'DONE-B' })
        expect(closed.json()).toMatchObject({ state: 'closed', finished_at: closedAt, operator_reference: 'DONE-B' })

        expect(await a.ticket(origin.id)).toMatchObject({ state: 'closed', finished_at: closedAt, outsourced: true })
        expect(await getOutsource(a, record.id)).toMatchObject({ state: 'closed', finished_at: closedAt, cancel_reason_id: null })
        // Nothing moves a closed origin, and the partner's close is final too.
        expect((await a.act(origin.id, 'reclaim')).statusCode).toBe(409)
        expect((await b.act(partner.id, 'cancel', { cancel_reason_id: 1 })).statusCode).toBe(409)

        // Histories on both sides: types, actors, parent_ticket.
        const origins = await events(a, origin.id)
        expect(origins.map((e) => [e.type, e.actor.type])).toEqual([
          ['tickets.ticket.created', 'client'],
          ['tickets.ticket.outsourced', 'client'],
          ['tickets.ticket.closed', 'system'],
        ])
        expect(origins[2]!.actor).toEqual({ type: 'system' })
        expect(origins[1]!.changes).toMatchObject({ state: { old: 'pending', new: 'outsourced' }, outsourced: { old: false, new: true } })
        expect(origins[2]!.changes).toMatchObject({
          state: { old: 'outsourced', new: 'closed' },
          finished_at: { old: null, new: closedAt },
        })
        for (const event of origins) expect(event.payload.parent_ticket).toBeNull()

        const partners = await events(b, partner.id)
        expect(partners.map((e) => [e.type, e.actor.type])).toEqual([
          ['tickets.ticket.created', 'system'],
          ['tickets.ticket.joined', 'client'],
          ['tickets.ticket.closed', 'client'],
        ])
        for (const event of partners) {
          expect(event.payload.parent_ticket).toEqual({ id: origin.id, ticket_number: origin.ticket_number })
          expect(event.payload.ticket).toMatchObject({ id: partner.id, ticket_number: partner.ticket_number })
        }
        // A's client and B's client are different actors.
        expect(partners[1]!.actor.id).toBeDefined()
        expect(partners[1]!.actor.id).not.toBe(origins[1]!.actor.id)
      })

      it('partner cancels: the outsource is cancelled with its reason, the origin is pending again and can be outsourced again', async () => {
        const origin = await a.create()
        const first = await outsource(a, origin, b, PROVIDER_B)
        const cancelledAt = wireTimestamp(tick())
        expect((await b.act(first.partner.id, 'cancel', { cancel_reason_id: 3 })).statusCode).toBe(200)
        expect(await getOutsource(a, first.outsource.id)).toMatchObject({
          state: 'cancelled',
          cancel_reason_id: 3,
          finished_at: cancelledAt,
        })
        const released = await a.ticket(origin.id)
        expect(released).toMatchObject({ state: 'pending', finished_at: null, cancel_reason_id: null })
        const history = await events(a, origin.id)
        expect(history.at(-1)).toMatchObject({
          type: 'tickets.ticket.released',
          actor: { type: 'system' },
          changes: { state: { old: 'outsourced', new: 'pending' } },
        })
        // The partner cannot reopen a ticket whose outsource has ended (even for a reopenable reason).
        const second = await outsource(a, origin, b, PROVIDER_B)
        expect(second.outsource.id).not.toBe(first.outsource.id)
        expect(second.partner.id).not.toBe(first.partner.id)
        await b.act(second.partner.id, 'cancel', { cancel_reason_id: 1 })
        const reopen = await b.act(second.partner.id, 'reopen')
        expect(reopen.statusCode).toBe(409)
        expect(reopen.json()).toMatchObject({ code: 'transition-not-allowed', state: 'cancelled' })
        // The origin, pending again, goes to a partner a third time.
        const third = await outsource(a, origin, b, PROVIDER_B)
        expect(third.partner.ticket_number).toBeGreaterThan(second.partner.ticket_number)
        const all = (await a.get(`${OUTSOURCES}?ticket_id=${origin.id}`)).json()
        expect(all.result.map((o: { id: string; state: string }) => [o.id, o.state])).toEqual([
          [first.outsource.id, 'cancelled'],
          [second.outsource.id, 'cancelled'],
          [third.outsource.id, 'pending'],
        ])
        expect((await a.ticket(origin.id)).state).toBe('outsourced')
      })

      it('reclaim while the partner’s ticket is pending: the partner’s ticket and the outsource are cancelled with reason 90', async () => {
        const origin = await a.create()
        const { outsource: record, partner } = await outsource(a, origin, b, PROVIDER_B)
        const reclaimedAt = wireTimestamp(tick())
        const reclaimed = await a.act(origin.id, 'reclaim')
        expect(reclaimed.statusCode).toBe(200)
        expect(reclaimed.json()).toMatchObject({ state: 'pending', outsourced: true, finished_at: null })
        expect(await b.ticket(partner.id)).toMatchObject({ state: 'cancelled', cancel_reason_id: 90, finished_at: reclaimedAt })
        expect(await getOutsource(a, record.id)).toMatchObject({ state: 'cancelled', cancel_reason_id: 90, finished_at: reclaimedAt })

        const origins = await events(a, origin.id)
        expect(origins.map((e) => [e.type, e.actor.type])).toEqual([
          ['tickets.ticket.created', 'client'],
          ['tickets.ticket.outsourced', 'client'],
          ['tickets.ticket.reclaimed', 'client'],
        ])
        const partners = await events(b, partner.id)
        expect(partners.map((e) => [e.type, e.actor])).toEqual([
          ['tickets.ticket.created', { type: 'system' }],
          ['tickets.ticket.cancelled', { type: 'system' }],
        ])
        expect(partners[1]!.changes).toMatchObject({
          cancel_reason_id: { old: null, new: 90 },
          state: { old: 'pending', new: 'cancelled' },
        })
        expect(partners[1]!.payload.parent_ticket).toEqual({ id: origin.id, ticket_number: origin.ticket_number })
        // A reclaimed ticket is the origin's again: it can be joined, and a second reclaim is 409.
        expect((await a.act(origin.id, 'reclaim')).statusCode).toBe(409)
        expect((await b.act(partner.id, 'join', { operator_id: OPERATOR_Z })).statusCode).toBe(409)
        expect((await a.act(origin.id, 'join', { operator_id: OPERATOR_Y })).statusCode).toBe(200)
      })

      it('outsourcing from in_progress keeps the origin’s operator and assignment', async () => {
        const origin = await a.create()
        tick()
        const joined = (await a.act(origin.id, 'join', { operator_id: OPERATOR_Y })).json()
        const { response, partner } = await outsource(a, origin, b, PROVIDER_B)
        expect(response.json()).toMatchObject({ state: 'outsourced', operator_id: OPERATOR_Y, assigned_at: joined.assigned_at })
        expect(partner).toMatchObject({ operator_id: null, assigned_at: null, state: 'pending' })
        const outsourcedEvent = (await events(a, origin.id)).at(-1)!
        expect(outsourcedEvent.changes).toMatchObject({ state: { old: 'in_progress', new: 'outsourced' } })
        expect(outsourcedEvent.changes).not.toHaveProperty('operator_id')
      })

      it('partnerships are symmetric: B outsources to A, and A cannot see B’s outsource', async () => {
        const origin = await b.create()
        const { outsource: record, partner } = await outsource(b, origin, a, PROVIDER_A)
        expect(partner.source_provider_id).toBe(PROVIDER_B)
        expect((await a.get(`${OUTSOURCES}/${record.id}`)).statusCode).toBe(404)
        expect((await a.get(`${OUTSOURCES}?ticket_id=${origin.id}`)).json().total).toBe(0)
      })
    })

    describe('refusals', () => {
      it('422 not-partnered for a provider that is not a partner and for one’s own provider; nothing changes', async () => {
        const origin = await a.create()
        const before = (await a.get(`${TICKETS}/${origin.id}`)).body
        for (const providerId of [PROVIDER_A, 'dddddddd-dddd-4ddd-8ddd-dddddddddddd', PROVIDER_A.toUpperCase()]) {
          const response = await a.act(origin.id, 'outsource', { provider_id: providerId })
          expect(response.statusCode, providerId).toBe(422)
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
          expect(response.json()).toMatchObject({ code: 'not-partnered', errors: [{ in: 'body', name: 'provider_id' }] })
        }
        // B and C are each A's partner, not each other's.
        const theirs = await b.create()
        expect((await b.act(theirs.id, 'outsource', { provider_id: PROVIDER_C })).json()).toMatchObject({ code: 'not-partnered' })
        const cs = await c.create()
        expect((await c.act(cs.id, 'outsource', { provider_id: PROVIDER_B })).json()).toMatchObject({ code: 'not-partnered' })
        expect((await a.get(`${TICKETS}/${origin.id}`)).body).toBe(before)
        expect(await a.events(origin.id)).toHaveLength(1)
        expect((await a.get(`${OUTSOURCES}?ticket_id=${origin.id}`)).json().total).toBe(0)
      })

      it('400 for a missing or malformed provider_id; 409 from prepared and from closed', async () => {
        const origin = await a.create()
        expect((await a.act(origin.id, 'outsource', {})).statusCode).toBe(400)
        expect((await a.act(origin.id, 'outsource', { provider_id: 'nope' })).statusCode).toBe(400)
        const prepared = await a.create({ state: 'prepared', vin: undefined })
        const refused = await a.act(prepared.id, 'outsource', { provider_id: PROVIDER_B })
        expect(refused.statusCode).toBe(409)
        expect(refused.json()).toMatchObject({ state: 'prepared', allowed_actions: ['submit', 'cancel'] })
        await a.act(origin.id, 'join', { operator_id: OPERATOR_Y })
        await a.act(origin.id, 'close')
        expect((await a.act(origin.id, 'outsource', { provider_id: PROVIDER_B })).statusCode).toBe(409)
      })
    })

    describe('the outsources collection', () => {
      let l: Platform
      let m: Platform
      let n: Platform
      const made: Array<{ id: string; ticket_id: string; provider_id: string; state: string }> = []

      beforeAll(async () => {
        await ctx.store.addPartnership(PROVIDER_L, PROVIDER_M)
        await ctx.store.addPartnership(PROVIDER_N, PROVIDER_L)
        l = await platformFor(app, ctx.store, PROVIDER_L, CUSTOMER_X)
        m = await platformFor(app, ctx.store, PROVIDER_M, CUSTOMER_X)
        n = await platformFor(app, ctx.store, PROVIDER_N, CUSTOMER_X)
        // Five outsources of L: three to M (one closed by M), two to N (one cancelled by N).
        for (const [partner, partnerId] of [
          [m, PROVIDER_M],
          [n, PROVIDER_N],
          [m, PROVIDER_M],
          [n, PROVIDER_N],
          [m, PROVIDER_M],
        ] as const) {
          const origin = await l.create()
          const { outsource: record, partner: ticket } = await outsource(l, origin, partner, partnerId)
          made.push(record)
          if (made.length === 3) {
            await m.act(ticket.id, 'join', { operator_id: OPERATOR_Z })
            await m.act(ticket.id, 'close')
          }
          if (made.length === 4) await n.act(ticket.id, 'cancel', { cancel_reason_id: 5 })
        }
      })

      const page = async (query: string) => {
        const response = await l.get(`${OUTSOURCES}${query}`)
        expect(response.statusCode, response.body).toBe(200)
        return response.json() as { query: Record<string, unknown>; total: number; result: Array<{ id: string; state: string }> }
      }

      it('lists the provider’s outsources oldest first, with total and the applied query', async () => {
        const all = await page('')
        expect(all.total).toBe(5)
        expect(all.query).toEqual({ limit: 25, offset: 0 })
        expect(all.result.map((o) => o.id)).toEqual(made.map((o) => o.id))
        expect(all.result.map((o) => o.state)).toEqual(['pending', 'pending', 'closed', 'cancelled', 'pending'])
      })

      it('filters by partner, state and ticket, and combines them', async () => {
        const toM = await page(`?provider_id=${PROVIDER_M}`)
        expect(toM.total).toBe(3)
        expect(toM.query).toEqual({ provider_id: PROVIDER_M, limit: 25, offset: 0 })
        expect(toM.result.map((o) => o.id)).toEqual([made[0]!.id, made[2]!.id, made[4]!.id])
        expect((await page('?state=pending')).result.map((o) => o.id)).toEqual([made[0]!.id, made[1]!.id, made[4]!.id])
        expect((await page('?state=closed')).result.map((o) => o.id)).toEqual([made[2]!.id])
        expect((await page(`?state=cancelled&provider_id=${PROVIDER_N}`)).result.map((o) => o.id)).toEqual([made[3]!.id])
        expect((await page(`?state=cancelled&provider_id=${PROVIDER_M}`)).total).toBe(0)
        expect((await page('?state=in_progress')).total).toBe(0)
        const one = await page(`?ticket_id=${made[1]!.ticket_id}`)
        expect(one.result.map((o) => o.id)).toEqual([made[1]!.id])
        // Upper-case UUIDs match too.
        expect((await page(`?provider_id=${PROVIDER_N.toUpperCase()}`)).total).toBe(2)
      })

      it('pages with limit and offset; total ignores the page', async () => {
        const second = await page('?limit=2&offset=2')
        expect(second.total).toBe(5)
        expect(second.query).toEqual({ limit: 2, offset: 2 })
        expect(second.result.map((o) => o.id)).toEqual([made[2]!.id, made[3]!.id])
        expect((await page('?limit=0')).result).toEqual([])
        expect((await page('?limit=0')).total).toBe(5)
        expect((await page('?offset=5')).result).toEqual([])
      })

      it('confines outsources to the provider that made them', async () => {
        expect((await m.get(OUTSOURCES)).json().total).toBe(0)
        expect((await n.get(OUTSOURCES)).json().total).toBe(0)
        for (const record of made) {
          expect((await m.get(`${OUTSOURCES}/${record.id}`)).statusCode).toBe(404)
          expect((await l.get(`${OUTSOURCES}/${record.id}`)).json()).toMatchObject({ id: record.id })
        }
        const missing = await l.get(`${OUTSOURCES}/deadbeef-0000-4000-8000-000000000000`)
        expect(missing.statusCode).toBe(404)
        expect(missing.json()).toMatchObject({ code: 'outsource-not-found' })
      })

      it('400 for bad ids, filters, pages and unknown parameters', async () => {
        const bad = async (path: string, code: string) => {
          const response = await l.get(path)
          expect(response.statusCode, path).toBe(400)
          expect(response.json().code, path).toBe(code)
        }
        await bad(`${OUTSOURCES}/nope`, 'invalid-path')
        await bad(`${OUTSOURCES}/12345`, 'invalid-path')
        await bad(`${OUTSOURCES}/${made[0]!.id}?x=1`, 'invalid-query')
        for (const query of [
          'ticket_id=nope',
          'provider_id=1',
          'state=outsourced',
          'state=prepared',
          'limit=-1',
          'limit=1001',
          'offset=x',
          'foo=1',
        ])
          expect((await l.get(`${OUTSOURCES}?${query}`)).statusCode, query).toBe(400)
      })
    })
  },
  async (store) => {
    await store.addPartnership(PROVIDER_A, PROVIDER_B)
    await store.addPartnership(PROVIDER_C, PROVIDER_A)
  },
)
