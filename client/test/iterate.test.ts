// tickets.iterate over several thousand tickets of the real server: every ticket once, in the
// API's order, with as few requests as the page size allows; and what a walk sees when the
// tickets change under it (the README's "changes during a walk").
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Ticket } from '../src/index.js'
import { createTicketsClient, type TicketsClient } from '../src/index.js'
import { generateTickets } from '../../src/demo/generate-tickets.js'
import { importAll, PROVIDER_A, PROVIDER_B, PROVIDER_C, ticket as makeTicket } from '../../test/support/fixtures.js'
import { recordingFetch, startLiveApi, type LiveApi } from './support.js'

const MANY = [...generateTickets({ count: 3200, seed: 7, providerId: PROVIDER_A, firstTicketNumber: 100_000 })]
const SMALL_B = [...generateTickets({ count: 300, seed: 8, providerId: PROVIDER_B, firstTicketNumber: 500_000 })]
const SMALL_C = [...generateTickets({ count: 300, seed: 9, providerId: PROVIDER_C, firstTicketNumber: 600_000 })].map((t) => ({
  ...t,
  externally_processed: false,
}))

const time = (value: string) => Date.parse(value)
/** What the ordering helpers read: client and fixture tickets both have it. */
type Sortable = Pick<Ticket, 'id' | 'created_at'>
const byCreated = (a: Sortable, b: Sortable) => time(a.created_at) - time(b.created_at) || (a.id < b.id ? -1 : 1)
const ids = (tickets: ReadonlyArray<{ id: string }>) => tickets.map((t) => t.id)

async function collect(iterable: AsyncIterable<Ticket>): Promise<Ticket[]> {
  const all: Ticket[] = []
  for await (const ticket of iterable) all.push(ticket)
  return all
}

describe('client tickets.iterate', () => {
  let api: LiveApi
  const clients = new Map<string, { client: TicketsClient; recorder: ReturnType<typeof recordingFetch> }>()

  beforeAll(async () => {
    api = await startLiveApi(async (store) => {
      await importAll(store, [
        ...MANY.map((ticket) => ({ providerId: PROVIDER_A, ticket })),
        ...SMALL_B.map((ticket) => ({ providerId: PROVIDER_B, ticket })),
        ...SMALL_C.map((ticket) => ({ providerId: PROVIDER_C, ticket })),
      ])
    })
    for (const provider of [PROVIDER_A, PROVIDER_B, PROVIDER_C]) {
      const recorder = recordingFetch()
      clients.set(provider, {
        recorder,
        client: createTicketsClient({ baseUrl: api.baseUrl, ...(await api.credentials(provider)), fetch: recorder.fetch }),
      })
    }
  })
  afterAll(async () => {
    await api?.close()
  })

  it('yields every ticket once, in the API order, with one request per page', async () => {
    const { client, recorder } = clients.get(PROVIDER_A)!
    const walked = await collect(client.tickets.iterate({}, { pageSize: 400 }))
    expect(walked).toHaveLength(MANY.length)
    expect(ids(walked)).toEqual(ids([...MANY].sort(byCreated)))
    // 3200 / 400 = 8 pages; the last one reaches the total, so there is no empty ninth request.
    expect(recorder.count('GET', '/v2/tickets/tickets')).toBe(8)
  })

  it('walks a filtered, descending sort the same way', async () => {
    const { client } = clients.get(PROVIDER_A)!
    const walked = await collect(
      client.tickets.iterate({ state: ['closed', 'cancelled'], sort_by: { ticket_number: 'desc' } }, { pageSize: 1000 }),
    )
    const expected = MANY.filter((t) => t.state === 'closed' || t.state === 'cancelled').sort(
      (a, b) => Number(b.ticket_number) - Number(a.ticket_number),
    )
    expect(ids(walked)).toEqual(ids(expected))
  })

  it('stops at an empty result without a second request', async () => {
    const { client } = clients.get(PROVIDER_A)!
    expect(await collect(client.tickets.iterate({ ticket_number: 1 }))).toEqual([])
  })

  it('does not yield a ticket twice when an insertion pushes it across a page boundary', async () => {
    const { client } = clients.get(PROVIDER_B)!
    const walk = client.tickets.iterate({}, { pageSize: 100 })
    const walked: Ticket[] = []
    for await (const ticket of walk) {
      walked.push(ticket)
      if (walked.length === 100) {
        // A ticket that sorts first arrives after the first page was read.
        const early = makeTicket({
          id: 'b0000000-0000-4000-8000-000000000001',
          ticket_number: 1,
          created_at: '2000-01-01T00:00:00Z',
          updated_at: '2000-01-01T01:00:00Z',
          assigned_at: '2000-01-01T00:05:00Z',
          finished_at: '2000-01-01T01:00:00Z',
          source_provider_id: PROVIDER_B,
        })
        await importAll(api.store, [{ providerId: PROVIDER_B, ticket: early }])
      }
    }
    expect(new Set(ids(walked)).size).toBe(walked.length)
    expect(ids(walked)).toEqual(ids([...SMALL_B].sort(byCreated)))
  })

  it('skips nothing when a ticket already yielded leaves the filter (the walk follows cursors, not offsets)', async () => {
    const { client } = clients.get(PROVIDER_C)!
    const order = [...SMALL_C].sort(byCreated)
    const walked: Ticket[] = []
    for await (const ticket of client.tickets.iterate({ externally_processed: false }, { pageSize: 100 })) {
      walked.push(ticket)
      if (walked.length === 100) await client.tickets.update(order[0]!.id, { externally_processed: true })
    }
    expect(ids(walked)).toEqual(ids(order))
  })
})
