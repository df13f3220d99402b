// The lifecycle through the client against the real server: create → join → close, a 409 as a
// typed error naming the state and what it allows, an Idempotency-Key making a retried create
// harmless (the answer lost on the way back, through a real proxy), a ticket's whole history,
// the cancel-reason catalogue and outsourcing to a partner.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTicketsClient, TicketsApiError, TicketsNetworkError, type TicketsClient } from '../src/index.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B } from '../../test/support/fixtures.js'
import { Transport } from '../src/transport.js'
import { recordingSleep, startLiveApi, startProxy, type LiveApi, type Proxy } from './support.js'

const VIN = 'WVWZZZ1JZXW000001'
const MANAGE = ['tickets:read', 'tickets:write', 'tickets:manage'] as const
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected an error'),
    (error: unknown) => error,
  )

describe('client lifecycle', () => {
  let api: LiveApi
  let proxy: Proxy
  let a: TicketsClient
  let b: TicketsClient
  let credentialsA: { clientId: string; clientSecret: string }

  beforeAll(async () => {
    api = await startLiveApi(async (store) => {
      await store.addPartnership(PROVIDER_A, PROVIDER_B)
    })
    proxy = await startProxy(api.baseUrl)
    credentialsA = await api.credentials(PROVIDER_A, [...MANAGE])
    a = createTicketsClient({ baseUrl: api.baseUrl, ...credentialsA })
    b = createTicketsClient({ baseUrl: api.baseUrl, ...(await api.credentials(PROVIDER_B, [...MANAGE])) })
  })
  afterAll(async () => {
    await proxy?.close()
    await api?.close()
  })
  beforeEach(() => {
    proxy.seen.length = 0
    proxy.plan = () => ({ kind: 'forward' })
  })

  const create = (client = a) => client.tickets.create({ customer_id: CUSTOMER_X, vehicle_model_id: 4711, vin: VIN })

  it('creates, joins and closes a ticket, each answer the ticket with its ETag', async () => {
    const created = await create()
    expect(created.ticket.state).toBe('pending')
    expect(created.ticket.source_provider_id).toBe(PROVIDER_A)
    expect(created.etag).toMatch(/^"/)
    expect(created.replayed).toBe(false)
    const joined = await a.tickets.join(created.ticket.id, { operator_id: OPERATOR_Y }, { ifMatch: created.etag })
    expect(joined.ticket).toMatchObject({ state: 'in_progress', operator_id: OPERATOR_Y })
    const closed = await a.tickets.close(joined.ticket.id, { vehicle_battery_voltage: '12v', operator_reference: 'OP-1' })
    expect(closed.ticket).toMatchObject({ state: 'closed', operator_reference: 'OP-1' })
    expect(closed.ticket.finished_at).not.toBeNull()
    expect((await a.tickets.get(created.ticket.id)).state).toBe('closed')
  })

  it('submits a prepared ticket, releases, cancels with a manual reason and reopens it', async () => {
    const { ticket } = await a.tickets.create({ state: 'prepared', customer_id: CUSTOMER_X, vehicle_model_id: 4711 })
    expect(ticket.state).toBe('prepared')
    expect((await a.tickets.submit(ticket.id, { vin: VIN })).ticket.state).toBe('pending')
    await a.tickets.join(ticket.id, { operator_id: OPERATOR_Y })
    expect((await a.tickets.release(ticket.id)).ticket.state).toBe('pending')
    const reasons = await a.cancelReasons.list({ limit: 100 })
    const reopenable = reasons.result.find((r) => r.manually_applicable && r.allows_ticket_reopening)!
    const cancelled = await a.tickets.cancel(ticket.id, { cancel_reason_id: reopenable.id })
    expect(cancelled.ticket).toMatchObject({ state: 'cancelled', cancel_reason_id: reopenable.id })
    expect((await a.tickets.reopen(ticket.id)).ticket).toMatchObject({ state: 'pending', cancel_reason_id: null })
  })

  it('turns a 409 into a TicketsApiError whose transition names the state and the actions it allows', async () => {
    const { ticket } = await create()
    const error = (await failure(a.tickets.close(ticket.id))) as TicketsApiError
    expect(error).toBeInstanceOf(TicketsApiError)
    expect(error.status).toBe(409)
    expect(error.code).toBe('transition-not-allowed')
    expect(error.transition).toEqual({ state: 'pending', allowedActions: ['join', 'cancel', 'outsource'] })
    expect(error.problem.allowed_actions).toEqual(['join', 'cancel', 'outsource'])
    // Any other error has no transition.
    const missing = (await failure(a.tickets.join('00000000-0000-4000-8000-000000000000', { operator_id: OPERATOR_Y }))) as TicketsApiError
    expect(missing.status).toBe(404)
    expect(missing.transition).toBeUndefined()
  })

  it('sends a fresh Idempotency-Key with every write, or the caller’s', async () => {
    const keys: string[] = []
    const recording = createTicketsClient({
      baseUrl: api.baseUrl,
      ...credentialsA,
      fetch: async (input, init) => {
        const key = new Headers(init?.headers).get('idempotency-key')
        if (key) keys.push(key)
        return fetch(input, init)
      },
    })
    await create(recording)
    await create(recording)
    await recording.tickets.create({ customer_id: CUSTOMER_X, vehicle_model_id: 4711, vin: VIN }, { idempotencyKey: 'order-4711' })
    expect(keys).toHaveLength(3)
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(keys[1]).not.toBe(keys[0])
    expect(keys[2]).toBe('order-4711')
  })

  it('retries a create whose answer was lost, and the retry creates no second ticket', async () => {
    const waits = recordingSleep()
    const client = createTicketsClient({ baseUrl: proxy.baseUrl, ...credentialsA, sleep: waits.sleep })
    await client.token()
    const before = (await a.tickets.list({ customer_id: CUSTOMER_X, limit: 1 })).total
    let lost = 0
    proxy.plan = (request) =>
      request.method === 'POST' && request.path === '/v2/tickets/tickets' && lost++ === 0 ? { kind: 'lose-response' } : { kind: 'forward' }
    const created = await create(client)
    expect(proxy.seen.filter((r) => r.method === 'POST' && r.path === '/v2/tickets/tickets')).toHaveLength(2)
    expect(created.replayed).toBe(true)
    expect((await a.tickets.list({ customer_id: CUSTOMER_X, limit: 1 })).total).toBe(before + 1)
    expect((await a.tickets.get(created.ticket.id)).state).toBe('pending')
  })

  it('repeats a create with the caller’s key as the first answer, and refuses the key for another request', async () => {
    const key = `client-test-${Date.now()}`
    const first = await a.tickets.create({ customer_id: CUSTOMER_X, vehicle_model_id: 4711, vin: VIN }, { idempotencyKey: key })
    const again = await a.tickets.create({ customer_id: CUSTOMER_X, vehicle_model_id: 4711, vin: VIN }, { idempotencyKey: key })
    expect(again.replayed).toBe(true)
    expect(again.ticket.id).toBe(first.ticket.id)
    const reused = (await failure(
      a.tickets.create({ customer_id: CUSTOMER_X, vehicle_model_id: 4712, vin: VIN }, { idempotencyKey: key }),
    )) as TicketsApiError
    expect(reused.status).toBe(422)
    expect(reused.code).toBe('idempotency-key-reused')
  })

  it('retries a POST only when it carries an Idempotency-Key', async () => {
    const transport = new Transport({
      baseUrl: proxy.baseUrl,
      fetch: (input, init) => fetch(input, init),
      timeoutMs: 5_000,
      retry: { max: 3, baseDelayMs: 1, maxDelayMs: 10 },
      userAgent: undefined,
      clock: () => new Date(),
      sleep: recordingSleep().sleep,
      random: () => 0.5,
    })
    proxy.plan = () => ({ kind: 'drop' })
    const post = (headers: Record<string, string>) =>
      failure(transport.send({ method: 'POST', path: '/v2/tickets/tickets', headers, body: '{}' }))
    const bare = (await post({ 'content-type': 'application/json' })) as TicketsNetworkError
    expect(bare).toBeInstanceOf(TicketsNetworkError)
    expect(bare.attempts).toBe(1)
    const keyed = (await post({ 'content-type': 'application/json', 'Idempotency-Key': 'k-1' })) as TicketsNetworkError
    expect(keyed.attempts).toBe(4)
    expect(proxy.seen).toHaveLength(5)
  })

  it('reads a ticket’s whole history, page by page, oldest first', async () => {
    const { ticket } = await create()
    await a.tickets.join(ticket.id, { operator_id: OPERATOR_Y })
    await a.tickets.release(ticket.id)
    await a.tickets.join(ticket.id, { operator_id: OPERATOR_Y })
    await a.tickets.close(ticket.id, { vehicle_battery_voltage: '24v' })
    const types: string[] = []
    for await (const event of a.tickets.history(ticket.id, { pageSize: 2 })) types.push(event.type)
    expect(types).toEqual([
      'tickets.ticket.created',
      'tickets.ticket.joined',
      'tickets.ticket.released',
      'tickets.ticket.joined',
      'tickets.ticket.closed',
    ])
    const first = await a.tickets.events(ticket.id, { limit: 2 })
    expect(first.query.limit).toBe(2)
    expect(first.result.map((e) => e.type)).toEqual(types.slice(0, 2))
    const rest = await a.tickets.events(ticket.id, { after_id: first.result[1]!.id })
    expect(rest.result.map((e) => e.type)).toEqual(types.slice(2))
    expect(first.result[1]!.changes.state).toEqual({ old: 'pending', new: 'in_progress' })
  })

  it('lists, gets and iterates the cancel-reason catalogue', async () => {
    const all = []
    for await (const reason of a.cancelReasons.iterate({}, { pageSize: 3 })) all.push(reason)
    const page = await a.cancelReasons.list({ limit: 1000 })
    expect(all).toEqual(page.result)
    expect(page.total).toBe(all.length)
    expect(await a.cancelReasons.get(all[0]!.id)).toEqual(all[0])
    expect(((await failure(a.cancelReasons.get(999_999))) as TicketsApiError).code).toBe('cancel-reason-not-found')
  })

  it('outsources to a partner, which closes it; reclaims another before the partner starts', async () => {
    const { ticket } = await create()
    expect((await a.tickets.outsource(ticket.id, { provider_id: PROVIDER_B })).ticket.state).toBe('outsourced')
    const [outsource] = (await a.outsources.list({ ticket_id: ticket.id })).result
    expect(outsource).toMatchObject({ ticket_id: ticket.id, provider_id: PROVIDER_B, state: 'pending' })
    expect(await a.outsources.get(outsource!.id)).toEqual(outsource)
    const [partnerTicket] = (await b.tickets.list({ ticket_number: outsource!.ticket_number })).result
    await b.tickets.join(partnerTicket!.id, { operator_id: OPERATOR_Y })
    const reclaimed = (await failure(a.tickets.reclaim(ticket.id))) as TicketsApiError
    expect(reclaimed.transition?.state).toBe('outsourced')
    await b.tickets.close(partnerTicket!.id)
    expect((await a.tickets.get(ticket.id)).state).toBe('closed')
    expect((await a.outsources.get(outsource!.id)).state).toBe('closed')

    const other = (await create()).ticket
    await a.tickets.outsource(other.id, { provider_id: PROVIDER_B })
    expect((await a.tickets.reclaim(other.id)).ticket.state).toBe('pending')
    const states = []
    for await (const o of a.outsources.iterate({ ticket_id: other.id }, { pageSize: 1 })) states.push(o.state)
    expect(states).toEqual(['cancelled'])
  })
})
