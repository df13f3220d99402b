// The per-state collections (/v2/tickets/<state>-tickets): each is the list of one state's
// tickets (same order, same total as GET /v2/tickets/tickets?state=…), its items carry exactly
// the members of that state's schema, its filters are the list's, and the single-ticket GET
// answers only for the provider's tickets in that state. Tickets come from the lifecycle
// (created and moved through the API) and from the bulk import (the shared seed).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp } from '../support/api.js'
import { STATE_VIEW_SCHEMAS } from '../../src/contract/state-views.js'
import type { Ticket, TicketState } from '../../src/contract/ticket.js'
import { STATE_VIEWS, type StateView } from '../../src/domain/state-views.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B, ticketsOf, seedStore } from '../support/fixtures.js'
import { platformFor, TICKETS, VIN, type Platform } from '../support/lifecycle.js'
import { describeEachStore } from '../support/stores.js'

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

const START = Date.parse('2027-01-10T09:00:00.000Z')
const OTHER_CUSTOMER = '6f1d2c3b-4a59-4e8d-9c7b-0a1b2c3d4e5f'
const PATH = (view: StateView) => `/v2/tickets/${view.slug}`
const view = (state: TicketState) => STATE_VIEWS.find((v) => v.state === state)!

type Item = Record<string, unknown>

describeEachStore(
  'per-state collections',
  (ctx) => {
    let app: FastifyInstance
    let a: Platform
    let b: Platform
    let tick = 0
    const validators = new Map<StateView, { item: ValidateFunction; list: ValidateFunction }>()
    /** Tickets created through the API, by what the test calls them. */
    const made: Record<string, Ticket> = {}

    const list = async (v: StateView, query = '', platform = a) => {
      const response = await platform.get(`${PATH(v)}${query}`)
      expect(response.statusCode, response.body).toBe(200)
      const body = response.json() as { query: Record<string, unknown>; result: Item[]; total: number }
      const validate = validators.get(v)!.list
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true)
      return body
    }
    /** The generic list's answer for the same state: what every view must agree with. */
    const generic = async (state: TicketState, query = '', platform = a) => {
      const response = await platform.get(`${TICKETS}?state=${state}&limit=1000${query}`)
      expect(response.statusCode, response.body).toBe(200)
      return response.json() as { result: Ticket[]; total: number }
    }
    const act = async (id: string, action: string, body?: unknown, platform = a) => {
      const response = await platform.act(id, action, body)
      expect(response.statusCode, response.body).toBe(200)
      return response.json() as Ticket
    }

    beforeAll(async () => {
      app = await createTestApp(ctx.store, {
        signingSecret: 'state-collections-secret-0123456789abcdef',
        // One second per request: created_at values differ, so date filters can split them.
        clock: () => new Date(START + 1000 * tick++),
      })
      a = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
      b = await platformFor(app, ctx.store, PROVIDER_B, CUSTOMER_X)
      await ctx.store.addPartnership(PROVIDER_A, PROVIDER_B)
      const ajv = new Ajv2020({ strict: false, allErrors: true })
      addFormats(ajv)
      for (const [v, schemas] of STATE_VIEW_SCHEMAS) validators.set(v, { item: ajv.compile(schemas.item), list: ajv.compile(schemas.list) })

      made.prepared = await a.create({
        state: 'prepared',
        vin: undefined,
        voucher_code: 'PREP12',
        preparer_external_reference: 'DYNAMICS_ERP_3454662',
      })
      made.pending = await a.create({ voucher_code: 'PEND34', connection_id: 'd3547de1-d1f2-4344-b4c2-17169b7526f9' })
      made.otherCustomer = await a.create({ customer_id: OTHER_CUSTOMER })
      made.inProgress = await a.create({ voucher_code: 'WQ4MM3' })
      await act(made.inProgress.id, 'join', { operator_id: OPERATOR_Y })
      made.closed = await a.create()
      await act(made.closed.id, 'join', { operator_id: OPERATOR_Y })
      await act(made.closed.id, 'close', { vehicle_battery_voltage: '24v', operator_reference: 'done' })
      made.cancelled = await a.create()
      await act(made.cancelled.id, 'cancel', { cancel_reason_id: 2 })
      made.outsourced = await a.create({ voucher_code: 'OUTS56' })
      await act(made.outsourced.id, 'outsource', { provider_id: PROVIDER_B })
      made.outsourcedJoined = await a.create()
      await act(made.outsourcedJoined.id, 'outsource', { provider_id: PROVIDER_B })
    })
    afterAll(async () => {
      await app.close()
    })

    describe.each(STATE_VIEWS.map((v) => [v.slug, v] as const))('%s', (_slug, v) => {
      it('lists exactly the provider’s tickets in the state, in the list’s order, with its total, each item of the state’s schema', async () => {
        const body = await list(v, '?limit=1000')
        const expected = await generic(v.state)
        expect(body.query).toEqual({ limit: 1000, offset: 0 })
        expect(body.total).toBe(expected.total)
        expect(body.total).toBeGreaterThan(0)
        expect(body.result.map((item) => item.id)).toEqual(expected.result.map((t) => t.id))
        const { item: validate } = validators.get(v)!
        for (const [i, item] of body.result.entries()) {
          expect(Object.keys(item)).toEqual(v.fields)
          expect(validate(item), JSON.stringify(validate.errors)).toBe(true)
          // Every member the generic Ticket also has carries the same value.
          const ticket = expected.result[i]! as unknown as Record<string, unknown>
          for (const field of v.fields) if (Object.hasOwn(ticket, field)) expect(item[field], field).toEqual(ticket[field])
        }
      })

      it('pages with limit and offset, echoes the defaults, and answers a total-only limit=0', async () => {
        const all = (await list(v, '?limit=1000')).result.map((item) => item.id)
        const first = await list(v)
        expect(first.query).toEqual({ limit: 25, offset: 0 })
        expect(first.result.map((item) => item.id)).toEqual(all.slice(0, 25))
        const paged = await list(v, '?limit=2&offset=1')
        expect(paged.result.map((item) => item.id)).toEqual(all.slice(1, 3))
        expect(paged.total).toBe(all.length)
        const empty = await list(v, '?limit=0')
        expect(empty).toEqual({ query: { limit: 0, offset: 0 }, result: [], total: all.length })
        const beyond = await list(v, `?offset=${all.length + 5}`)
        expect(beyond.result).toEqual([])
        expect(beyond.total).toBe(all.length)
      })

      it('filters by ticket_number, customer_id and created_after/created_before like the list does', async () => {
        const all = (await list(v, '?limit=1000')).result
        const target = all.at(-1)!
        const byNumber = await list(v, `?ticket_number=${target.ticket_number}`)
        expect(byNumber.query).toEqual({ ticket_number: target.ticket_number, limit: 25, offset: 0 })
        expect(byNumber.result.map((item) => item.id)).toEqual([target.id])
        expect(byNumber.total).toBe(1)
        for (const query of [
          `&customer_id=${CUSTOMER_X}`,
          `&customer_id=${OTHER_CUSTOMER}`,
          '&created_after=2027-01-10T09:00:03Z',
          '&created_before=2027-01-10T09:00:03Z',
          '&created_after=2024-01-01T00:00:00Z&created_before=2027-01-10T09:00:05.5Z',
          `&created_after=2024-01-01T00:00:00Z&customer_id=${CUSTOMER_X}`,
        ]) {
          const expected = await generic(v.state, query)
          const body = await list(v, `?limit=1000${query}`)
          expect(
            body.result.map((item) => item.id),
            query,
          ).toEqual(expected.result.map((t) => t.id))
          expect(body.total, query).toBe(expected.total)
        }
      })

      it('rejects any other parameter, sort_by and after included, and bad values, naming each', async () => {
        for (const query of ['state=pending', 'sort_by[created_at]=desc', 'after=abc', 'vin=', 'operator_id=' + OPERATOR_Y, 'Limit=3']) {
          const response = await a.get(`${PATH(v)}?${query}`)
          expect(response.statusCode, query).toBe(400)
          expect(response.json().errors, query).toEqual([expect.objectContaining({ in: 'query', name: query.split('=')[0] })])
          expect(response.json().code, query).toBe('invalid-query')
        }
        const bad = await a.get(`${PATH(v)}?limit=1001&customer_id=nope&ticket_number=1&ticket_number=2&created_after=`)
        expect(bad.statusCode).toBe(400)
        expect(
          bad
            .json()
            .errors.map((e: { name: string }) => e.name)
            .sort(),
        ).toEqual(['created_after', 'customer_id', 'limit', 'ticket_number'])
      })

      it('answers a single ticket of the state as its item, and 404 for another state, another provider or no ticket', async () => {
        const [first] = (await list(v, '?limit=1')).result
        const single = await a.get(`${PATH(v)}/${first!.id}`)
        expect(single.statusCode).toBe(200)
        expect(single.json()).toEqual(first)
        const other = STATE_VIEWS.find((w) => w !== v)!
        const elsewhere = (await list(other, '?limit=1')).result[0]!
        for (const [platform, id] of [
          [a, elsewhere.id],
          [b, first!.id],
          [a, '00000000-0000-4000-8000-00000000dead'],
        ] as const) {
          const response = await platform.get(`${PATH(v)}/${id}`)
          expect(response.statusCode).toBe(404)
          expect(response.json().code).toBe('ticket-not-found')
        }
        expect((await a.get(`${PATH(v)}/not-a-uuid`)).statusCode).toBe(400)
        expect((await a.get(`${PATH(v)}/${first!.id}?limit=1`)).statusCode).toBe(400)
      })
    })

    it('shows each state’s own fields for tickets moved through the lifecycle', async () => {
      const item = async (state: TicketState, id: string) => {
        const response = await a.get(`${PATH(view(state))}/${id}`)
        expect(response.statusCode, response.body).toBe(200)
        return response.json() as Item
      }
      expect(await item('prepared', made.prepared!.id)).toEqual({
        id: made.prepared!.id,
        created_at: made.prepared!.created_at,
        customer_id: CUSTOMER_X,
        ticket_number: made.prepared!.ticket_number,
        vehicle_model_id: made.prepared!.vehicle_model_id,
        vin: null,
        voucher_code: 'PREP12',
        preparer_external_reference: 'DYNAMICS_ERP_3454662',
      })
      expect(await item('pending', made.pending!.id)).toMatchObject({
        vin: VIN,
        voucher_code: 'PEND34',
        connection_id: 'd3547de1-d1f2-4344-b4c2-17169b7526f9',
      })
      const joined = await a.ticket(made.inProgress!.id)
      expect(await item('in_progress', made.inProgress!.id)).toMatchObject({
        operator_id: OPERATOR_Y,
        service_started_at: joined.assigned_at,
        voucher_code: 'WQ4MM3',
        outsourced: false,
      })
      expect(await item('closed', made.closed!.id)).toMatchObject({
        operator_id: OPERATOR_Y,
        vehicle_battery_voltage: '24v',
        externally_processed: false,
        external_reference: '',
        finished_at: (await a.ticket(made.closed!.id)).finished_at,
      })
      expect(await item('cancelled', made.cancelled!.id)).toMatchObject({
        cancel_reason_id: 2,
        operator_id: null,
        vehicle_battery_voltage: null,
      })
    })

    it('shows service_started_at of the latest join: released and joined again, it moves on while assigned_at stays', async () => {
      const ticket = await a.create()
      const first = await act(ticket.id, 'join', { operator_id: OPERATOR_Y })
      await act(ticket.id, 'release')
      const again = await act(ticket.id, 'join', { operator_id: OPERATOR_Y })
      const item = (await a.get(`${PATH(view('in_progress'))}/${ticket.id}`)).json()
      expect(again.assigned_at).toBe(first.assigned_at)
      expect(item.service_started_at).not.toBe(first.assigned_at)
      expect(Date.parse(item.service_started_at)).toBe(Date.parse(again.updated_at))
    })

    it('names the partner and its ticket on an outsourced ticket, reclaimable until the partner joins', async () => {
      const path = `${PATH(view('outsourced'))}/${made.outsourcedJoined!.id}`
      const before = (await a.get(path)).json()
      const [outsource] = (await a.get(`/v2/tickets/outsources?ticket_id=${made.outsourcedJoined!.id}`)).json().result
      expect(before).toMatchObject({ outsource_provider_id: PROVIDER_B, reclaimable: true, vin: VIN })
      const partnerTicket = await b.ticket(before.outsource_ticket_id)
      expect(partnerTicket).toMatchObject({ state: 'pending', source_provider_id: PROVIDER_A, ticket_number: outsource.ticket_number })
      // The partner's ticket is in the partner's pending collection, not in the outsourcer's.
      expect((await b.get(`${PATH(view('pending'))}/${partnerTicket.id}`)).statusCode).toBe(200)
      expect((await a.get(`${PATH(view('pending'))}/${partnerTicket.id}`)).statusCode).toBe(404)

      await act(partnerTicket.id, 'join', { operator_id: OPERATOR_Y }, b)
      expect((await a.get(path)).json()).toMatchObject({ outsource_ticket_id: partnerTicket.id, reclaimable: false })
      // Released again, the partner's ticket is pending but has been joined: still not reclaimable.
      await act(partnerTicket.id, 'release', undefined, b)
      expect((await b.ticket(partnerTicket.id)).state).toBe('pending')
      expect((await a.get(path)).json().reclaimable).toBe(false)
      expect((await a.act(made.outsourcedJoined!.id, 'reclaim')).statusCode).toBe(409)

      // The other one is still reclaimable, and reclaiming it moves it to pending.
      const other = `${PATH(view('outsourced'))}/${made.outsourced!.id}`
      expect((await a.get(other)).json()).toMatchObject({ reclaimable: true, voucher_code: 'OUTS56' })
      await act(made.outsourced!.id, 'reclaim')
      expect((await a.get(other)).statusCode).toBe(404)
      expect((await a.get(`${PATH(view('pending'))}/${made.outsourced!.id}`)).statusCode).toBe(200)
      // Outsourced once more, the view follows the new (active) outsource only.
      await act(made.outsourced!.id, 'outsource', { provider_id: PROVIDER_B })
      const again = (await a.get(other)).json()
      expect(again.reclaimable).toBe(true)
      expect(again.outsource_ticket_id).not.toBe(before.outsource_ticket_id)
      expect((await a.get(`${PATH(view('in_progress'))}/${made.outsourced!.id}`)).statusCode).toBe(404)
    })

    it('lists imported tickets in their state’s collection (outsourced ones without an outsource record)', async () => {
      const imported = ticketsOf(PROVIDER_A)
      for (const v of STATE_VIEWS) {
        const ids = new Set((await list(v, '?limit=1000')).result.map((item) => item.id))
        const expected = imported.filter((t) => t.state === v.state)
        expect(expected.length, v.state).toBeGreaterThan(0)
        for (const t of expected) expect(ids.has(t.id), `${v.state} ${t.id}`).toBe(true)
      }
      const inProgress = imported.find((t) => t.state === 'in_progress')!
      const item = (await a.get(`${PATH(view('in_progress'))}/${inProgress.id}`)).json()
      // The import carries no service_started_at: assigned_at stands in.
      expect(Date.parse(item.service_started_at)).toBe(Date.parse(inProgress.assigned_at!))
      const outsourced = imported.find((t) => t.state === 'outsourced')!
      expect((await a.get(`${PATH(view('outsourced'))}/${outsourced.id}`)).json()).toMatchObject({
        outsource_provider_id: null,
        outsource_ticket_id: null,
        reclaimable: false,
      })
      const prepared = imported.find((t) => t.state === 'prepared')!
      expect((await a.get(`${PATH(view('prepared'))}/${prepared.id}`)).json().preparer_external_reference).toBe('')
    })

    it('needs tickets:read', async () => {
      const response = await app.inject({ method: 'GET', url: PATH(view('pending')) })
      expect(response.statusCode).toBe(401)
    })
  },
  seedStore,
)
