// The lifecycle through the API: create, every action, the 409s that name what a state
// allows, If-Match, Idempotency-Key, and the history each change leaves.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { platformFor, TICKETS, VIN, type Platform } from '../support/lifecycle.js'
import { describeEachStore } from '../support/stores.js'

const NOW = new Date('2027-05-06T07:08:09.123Z')

describeEachStore('the ticket lifecycle', (ctx) => {
  let app: FastifyInstance
  let a: Platform
  let b: Platform

  beforeAll(async () => {
    app = await createTestApp(ctx.store, { signingSecret: 'lifecycle-test-secret-0123456789abcdef', clock: () => NOW })
    a = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
    b = await platformFor(app, ctx.store, PROVIDER_B, CUSTOMER_X)
  })
  afterAll(async () => {
    await app.close()
  })

  it('creates a pending ticket: 201, Location, ETag, and the fields the server decides', async () => {
    const response = await a.post(TICKETS, {
      customer_id: CUSTOMER_X,
      vehicle_model_id: 12,
      vin: VIN,
      voucher_code: 'AB12',
      customer_reference: 'PO-7',
    })
    expect(response.statusCode).toBe(201)
    const ticket = response.json()
    expect(response.headers.location).toBe(`${TICKETS}/${ticket.id}`)
    expect(response.headers.etag).toMatch(/^"[^"]+"$/)
    expect(ticket).toMatchObject({
      state: 'pending',
      customer_id: CUSTOMER_X,
      vehicle_model_id: 12,
      vin: VIN,
      voucher_code: 'AB12',
      customer_reference: 'PO-7',
      source_provider_id: PROVIDER_A,
      outsourced: false,
      external_reference: '',
      externally_processed: false,
      created_at: '2027-05-06T07:08:09.123Z',
      updated_at: '2027-05-06T07:08:09.123Z',
      assigned_at: null,
      operator_id: null,
      finished_at: null,
      cancel_reason_id: null,
      operator_channel_id: null,
    })
    expect(ticket.customer_channel_id).toMatch(/^[0-9a-f-]{36}$/)
    // The answer is the stored document: GET gives the same bytes and the same ETag.
    const get = await a.get(`${TICKETS}/${ticket.id}`)
    expect(get.body).toBe(response.body)
    expect(get.headers.etag).toBe(response.headers.etag)
  })

  it('numbers created tickets uniquely and increasingly', async () => {
    const first = await a.create()
    const second = await b.create()
    const third = await a.create()
    expect(second.ticket_number).toBeGreaterThan(first.ticket_number)
    expect(third.ticket_number).toBeGreaterThan(second.ticket_number)
  })

  it('creates a prepared ticket without VIN and customer channel, and keeps its preparer reference', async () => {
    const ticket = await a.create({ state: 'prepared', vin: undefined, preparer_external_reference: 'DYNAMICS_ERP_3454662' })
    expect(ticket).toMatchObject({ state: 'prepared', vin: null, customer_channel_id: null })
    const prepared = await a.get(`/v2/tickets/prepared-tickets/${ticket.id}`)
    if (prepared.statusCode !== 404) expect(prepared.json().preparer_external_reference).toBe('DYNAMICS_ERP_3454662')
  })

  it('refuses a pending ticket without VIN, unknown members and bad values, naming each', async () => {
    const noVin = await a.post(TICKETS, { customer_id: CUSTOMER_X, vehicle_model_id: 1 })
    expect(noVin.statusCode).toBe(400)
    expect(noVin.json()).toMatchObject({ code: 'invalid-body', errors: [{ in: 'body', name: 'vin' }] })
    const bad = await a.post(TICKETS, { customer_id: 'nope', vehicle_model_id: 1, vin: 'short', state: 'closed', ticket_number: 5 })
    expect(bad.statusCode).toBe(400)
    const names = bad.json().errors.map((e: { name: string }) => e.name)
    expect(names).toEqual(expect.arrayContaining(['customer_id', 'vin', 'state', 'ticket_number']))
  })

  it('needs tickets:manage: a partner token is refused with 403 naming the scope', async () => {
    const partner = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read', 'tickets:write'])
    const response = await app.inject({
      method: 'POST',
      url: TICKETS,
      headers: { ...bearer(partner), 'content-type': 'application/json' },
      payload: JSON.stringify({ customer_id: CUSTOMER_X, vehicle_model_id: 1, vin: VIN }),
    })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ code: 'insufficient-scope', detail: 'This operation needs the tickets:manage scope.' })
  })

  it('moves a ticket through join, release, join, close with the fields each action sets', async () => {
    const ticket = await a.create()
    const joined = await a.act(ticket.id, 'join', { operator_id: OPERATOR_Y })
    expect(joined.statusCode).toBe(200)
    expect(joined.json()).toMatchObject({ state: 'in_progress', operator_id: OPERATOR_Y, assigned_at: '2027-05-06T07:08:09.123Z' })
    const released = await a.act(ticket.id, 'release')
    expect(released.json()).toMatchObject({ state: 'pending', operator_id: OPERATOR_Y, assigned_at: '2027-05-06T07:08:09.123Z' })
    const other = '0b3c9a52-1f6e-4f39-9d1a-0d8ff0a3e001'
    const rejoined = await a.act(ticket.id, 'join', { operator_id: other })
    expect(rejoined.json()).toMatchObject({ state: 'in_progress', operator_id: other })
    const closed = await a.act(ticket.id, 'close', { operator_reference: 'OK-1', vehicle_battery_voltage: '12v' })
    expect(closed.statusCode).toBe(200)
    expect(closed.json()).toMatchObject({ state: 'closed', finished_at: '2027-05-06T07:08:09.123Z', operator_reference: 'OK-1' })
    expect(closed.headers.etag).toBe((await a.get(`${TICKETS}/${ticket.id}`)).headers.etag)

    const events = await a.events(ticket.id)
    expect(events.map((e) => e.type)).toEqual([
      'tickets.ticket.created',
      'tickets.ticket.joined',
      'tickets.ticket.released',
      'tickets.ticket.joined',
      'tickets.ticket.closed',
    ])
    expect([...events.map((e) => e.id)].sort()).toEqual(events.map((e) => e.id))
    expect(events[1]!.changes).toMatchObject({ state: { old: 'pending', new: 'in_progress' }, operator_id: { old: null, new: OPERATOR_Y } })
    expect(events[3]!.changes).not.toHaveProperty('assigned_at')
    expect(events[4]).toMatchObject({
      payload: {
        ticket: { id: ticket.id, ticket_number: ticket.ticket_number, state: 'closed' },
        parent_ticket: null,
        customer: { id: CUSTOMER_X },
      },
      actor: { type: 'client' },
      occurred_at: '2027-05-06T07:08:09.123Z',
    })
  })

  it('answers 409 naming the state and the actions it allows, and changes nothing', async () => {
    const ticket = await a.create()
    const before = await a.get(`${TICKETS}/${ticket.id}`)
    const response = await a.act(ticket.id, 'close')
    expect(response.statusCode).toBe(409)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({
      code: 'transition-not-allowed',
      state: 'pending',
      allowed_actions: ['join', 'cancel', 'outsource'],
    })
    expect((await a.get(`${TICKETS}/${ticket.id}`)).body).toBe(before.body)
    expect(await a.events(ticket.id)).toHaveLength(1)
  })

  it('submits a prepared ticket, requiring a VIN when it has none', async () => {
    const ticket = await a.create({ state: 'prepared', vin: undefined })
    const missing = await a.act(ticket.id, 'submit', {})
    expect(missing.statusCode).toBe(400)
    expect(missing.json()).toMatchObject({ errors: [{ name: 'vin' }] })
    const submitted = await a.act(ticket.id, 'submit', { vin: VIN })
    expect(submitted.json()).toMatchObject({ state: 'pending', vin: VIN })
    expect(submitted.json().customer_channel_id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('cancels with a manual reason, refuses unknown and system reasons, and reopens only when the reason allows it', async () => {
    const ticket = await a.create()
    expect((await a.act(ticket.id, 'cancel', { cancel_reason_id: 999_999 })).json()).toMatchObject({ code: 'unknown-cancel-reason' })
    expect((await a.act(ticket.id, 'cancel', { cancel_reason_id: 90 })).json()).toMatchObject({ code: 'cancel-reason-not-applicable' })
    const cancelled = await a.act(ticket.id, 'cancel', { cancel_reason_id: 1 })
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', cancel_reason_id: 1, finished_at: '2027-05-06T07:08:09.123Z' })
    const reopened = await a.act(ticket.id, 'reopen')
    expect(reopened.json()).toMatchObject({ state: 'pending', cancel_reason_id: null, finished_at: null })

    const final = await a.create()
    await a.act(final.id, 'cancel', { cancel_reason_id: 4 })
    const refused = await a.act(final.id, 'reopen')
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ code: 'transition-not-allowed', state: 'cancelled' })
  })

  it('honours If-Match on actions: a stale ETag is 412 and changes nothing', async () => {
    const ticket = await a.create()
    const etag = (await a.get(`${TICKETS}/${ticket.id}`)).headers.etag as string
    expect((await a.act(ticket.id, 'join', { operator_id: OPERATOR_Y }, { 'if-match': '"stale"' })).statusCode).toBe(412)
    const joined = await a.act(ticket.id, 'join', { operator_id: OPERATOR_Y }, { 'if-match': etag })
    expect(joined.statusCode).toBe(200)
    expect((await a.act(ticket.id, 'release', undefined, { 'if-match': etag })).statusCode).toBe(412)
  })

  it('answers a repeated Idempotency-Key with the first response, and refuses it with another body', async () => {
    const body = { customer_id: CUSTOMER_X, vehicle_model_id: 77, vin: VIN }
    const first = await a.post(TICKETS, body, { 'idempotency-key': 'create-77' })
    const again = await a.post(TICKETS, { vin: VIN, vehicle_model_id: 77, customer_id: CUSTOMER_X }, { 'idempotency-key': 'create-77' })
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(201)
    expect(again.body).toBe(first.body)
    expect(again.headers.location).toBe(first.headers.location)
    expect(again.headers['idempotent-replayed']).toBe('true')
    const listed = await a.get(`${TICKETS}?vehicle_model_id=77&limit=0`)
    expect(listed.json().total).toBe(1)
    const other = await a.post(TICKETS, { ...body, vehicle_model_id: 78 }, { 'idempotency-key': 'create-77' })
    expect(other.statusCode).toBe(422)
    expect(other.json()).toMatchObject({ code: 'idempotency-key-reused' })
    // Keys are per client: another client's same key is a new request.
    const theirs = await b.post(TICKETS, body, { 'idempotency-key': 'create-77' })
    expect(theirs.statusCode).toBe(201)
    expect(theirs.json().id).not.toBe(first.json().id)
  })

  it('keeps each provider to its own tickets: another provider’s ticket is 404 for every action and its history', async () => {
    const ticket = await a.create()
    expect((await b.act(ticket.id, 'join', { operator_id: OPERATOR_Y })).statusCode).toBe(404)
    expect((await b.get(`${TICKETS}/${ticket.id}/events`)).statusCode).toBe(404)
    expect((await a.ticket(ticket.id)).state).toBe('pending')
  })

  it('lets exactly one of two concurrent actions on a ticket win; the other is 409', async () => {
    for (let round = 0; round < 5; round++) {
      const ticket = await a.create()
      const results = await Promise.all([
        a.act(ticket.id, 'join', { operator_id: OPERATOR_Y }),
        a.act(ticket.id, 'join', { operator_id: '0b3c9a52-1f6e-4f39-9d1a-0d8ff0a3e002' }),
      ])
      const statuses = results.map((r) => r.statusCode).sort()
      expect(statuses).toEqual([200, 409])
      expect(await a.events(ticket.id)).toHaveLength(2)
    }
  })

  it('patches the descriptive fields with tickets:manage and records the change; the VIN only while prepared or pending', async () => {
    const ticket = await a.create()
    const patched = await a.patch(ticket.id, { customer_reference: 'NEW', vehicle_model_id: 99, voucher_code: 'ZZ99' })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ customer_reference: 'NEW', vehicle_model_id: 99, voucher_code: 'ZZ99' })
    const events = await a.events(ticket.id)
    expect(events.at(-1)).toMatchObject({ type: 'tickets.ticket.updated', changes: { customer_reference: { old: '', new: 'NEW' } } })
    await a.act(ticket.id, 'join', { operator_id: OPERATOR_Y })
    const vin = await a.patch(ticket.id, { vin: 'ZZZZZZZZZZZZZZZZZ' })
    expect(vin.statusCode).toBe(409)
    expect(vin.json()).toMatchObject({ code: 'state-conflict' })
    const partner = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:write'])
    const refused = await app.inject({
      method: 'PATCH',
      url: `${TICKETS}/${ticket.id}`,
      headers: { ...bearer(partner), 'content-type': 'application/json' },
      payload: JSON.stringify({ customer_reference: 'x' }),
    })
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({
      code: 'insufficient-scope',
      errors: [{ name: 'customer_reference', detail: 'needs the tickets:manage scope' }],
    })
  })

  it('pages a ticket’s history with after_id and refuses bad parameters', async () => {
    const ticket = await a.create()
    await a.act(ticket.id, 'join', { operator_id: OPERATOR_Y })
    await a.act(ticket.id, 'release')
    const first = (await a.get(`${TICKETS}/${ticket.id}/events?limit=2`)).json()
    expect(first.query).toEqual({ limit: 2 })
    expect(first.result).toHaveLength(2)
    const rest = (await a.get(`${TICKETS}/${ticket.id}/events?after_id=${first.result[1].id}`)).json()
    expect(rest.result.map((e: { type: string }) => e.type)).toEqual(['tickets.ticket.released'])
    expect((await a.get(`${TICKETS}/${ticket.id}/events?after_id=nope`)).statusCode).toBe(400)
    expect((await a.get(`${TICKETS}/${ticket.id}/events?limit=1001`)).statusCode).toBe(400)
    expect((await a.get(`${TICKETS}/${ticket.id}/events?foo=1`)).statusCode).toBe(400)
  })
})
