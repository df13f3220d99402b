// tickets.list against the real server: every kind of parameter encoded the way the API reads
// it, checked by what the server answers (its `query` echo and the tickets it selects).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Ticket } from '../src/index.js'
import { createTicketsClient, type TicketsClient } from '../src/index.js'
import { EDGE_TICKETS, PROVIDER_A, seedStore, ticketsOf } from '../../test/support/fixtures.js'
import { startLiveApi, type LiveApi } from './support.js'

const mine = ticketsOf(PROVIDER_A)
const time = (value: string | null) => (value === null ? Number.POSITIVE_INFINITY : Date.parse(value))
/** What the ordering helpers read: client and fixture tickets both have it. */
type Sortable = Pick<Ticket, 'id' | 'created_at'>
const byCreated = (a: Sortable, b: Sortable) => time(a.created_at) - time(b.created_at) || (a.id < b.id ? -1 : 1)
const ids = (tickets: ReadonlyArray<{ id: string }>) => tickets.map((t) => t.id)

describe('client tickets.list', () => {
  let api: LiveApi
  let client: TicketsClient
  beforeAll(async () => {
    api = await startLiveApi(seedStore)
    client = createTicketsClient({ baseUrl: api.baseUrl, ...(await api.credentials(PROVIDER_A, ['tickets:read'])) })
  })
  afterAll(async () => {
    await api?.close()
  })

  it('returns { query, result, total } with the applied parameters echoed, defaults included', async () => {
    const page = await client.tickets.list()
    expect(page.query).toEqual({ limit: 25, offset: 0, sort_by: { created_at: 'asc' } })
    expect(page.total).toBe(mine.length)
    expect(ids(page.result)).toEqual(ids([...mine].sort(byCreated).slice(0, 25)))
  })

  it('sends list parameters as comma lists', async () => {
    const page = await client.tickets.list({ state: ['closed', 'cancelled'], limit: 100 })
    expect(page.query.state).toEqual(['closed', 'cancelled'])
    expect(ids(page.result)).toEqual(ids(mine.filter((t) => t.state === 'closed' || t.state === 'cancelled').sort(byCreated)))
  })

  it('sends sort_by keys in the order given, as an object or as pairs', async () => {
    const asObject = await client.tickets.list({ sort_by: { finished_at: 'desc', created_at: 'asc' }, limit: 100 })
    const asPairs = await client.tickets.list({
      sort_by: [
        ['finished_at', 'desc'],
        ['created_at', 'asc'],
      ],
      limit: 100,
    })
    expect(Object.keys(asObject.query.sort_by)).toEqual(['finished_at', 'created_at'])
    expect(asPairs.query).toEqual(asObject.query)
    const finishedDesc = (a: Sortable & Pick<Ticket, 'finished_at'>, b: Sortable & Pick<Ticket, 'finished_at'>) =>
      a.finished_at === null || b.finished_at === null
        ? Number(a.finished_at === null) - Number(b.finished_at === null) || byCreated(a, b)
        : time(b.finished_at) - time(a.finished_at) || byCreated(a, b)
    expect(ids(asObject.result)).toEqual(ids([...mine].sort(finishedDesc)))
    expect(ids(asPairs.result)).toEqual(ids(asObject.result))
  })

  it('accepts a Date or an RFC 3339 string for dates, and they select the same tickets', async () => {
    const after = '2024-05-05T05:05:05Z'
    const withDate = await client.tickets.list({ created_after: new Date(after), limit: 100 })
    const withOffset = await client.tickets.list({ created_after: '2024-05-05T07:05:05+02:00', limit: 100 })
    expect(withDate.query.created_after).toBe(after)
    expect(withOffset.query.created_after).toBe(after)
    expect(ids(withDate.result)).toEqual(ids(mine.filter((t) => time(t.created_at) > time(after)).sort(byCreated)))
    expect(ids(withOffset.result)).toEqual(ids(withDate.result))
  })

  it('sends vin: null as vin= and gets the tickets without a VIN', async () => {
    const page = await client.tickets.list({ vin: null, limit: 100 })
    expect(page.query.vin).toBeNull()
    expect(ids(page.result)).toEqual(ids(mine.filter((t) => t.vin === null).sort(byCreated)))
    expect(ids(page.result)).toContain(EDGE_TICKETS[3]!.id)
  })

  it('sends booleans and bigint or number integers', async () => {
    const processed = await client.tickets.list({ externally_processed: true, limit: 100 })
    expect(processed.query.externally_processed).toBe(true)
    expect(ids(processed.result)).toEqual(ids(mine.filter((t) => t.externally_processed).sort(byCreated)))
    const byBigint = await client.tickets.list({ ticket_number: 9000005n })
    const byNumber = await client.tickets.list({ ticket_number: 9000005 })
    expect(ids(byBigint.result)).toEqual([EDGE_TICKETS[4]!.id])
    expect(byNumber).toEqual(byBigint)
  })

  it('pages with limit and offset, and limit 0 gives only the total', async () => {
    const second = await client.tickets.list({ limit: 10, offset: 10n })
    expect(ids(second.result)).toEqual(ids([...mine].sort(byCreated).slice(10, 20)))
    const countOnly = await client.tickets.list({ state: 'closed', limit: 0 })
    expect(countOnly.result).toEqual([])
    expect(countOnly.total).toBe(mine.filter((t) => t.state === 'closed').length)
  })

  it('gets a ticket by id exactly as stored, with its ETag', async () => {
    const expected = EDGE_TICKETS[4]!
    expect(await client.tickets.get(expected.id)).toEqual(expected)
    const { ticket, etag } = await client.tickets.getWithEtag(expected.id)
    expect(ticket).toEqual(expected)
    expect(etag).toMatch(/^"[\w-]+"$/)
  })
})
