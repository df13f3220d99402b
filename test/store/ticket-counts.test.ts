// The maintained counters behind `total` must equal a plain count(*) after every kind of write:
// import, re-import that changes counted columns, PATCH, concurrent PATCHes and imports, delete.
import { expect, it } from 'vitest'
import { generateTickets } from '../../src/demo/generate-tickets.js'
import type { ImportTicket } from '../../src/store/ticket-transfer.js'
import type { Ticket } from '../../src/contract/ticket.js'
import { describeEachStore, type StoreContext } from '../support/stores.js'
import { PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { updateTicket } from '../support/store-queries.js'
import { countQueries, expectCountsExact as expectCounts } from '../support/ticket-counts.js'

const tickets = [...generateTickets({ count: 600, seed: 5, providerId: PROVIDER_A, spanDays: 20, customers: 4 })]
const others = [...generateTickets({ count: 200, seed: 6, providerId: PROVIDER_B, spanDays: 20, firstTicketNumber: 8_000_000 })]

async function* batches(entries: ImportTicket[]) {
  yield entries
}
const asImport = (list: Ticket[], providerId: string): ImportTicket[] => list.map((ticket, i) => ({ line: i + 1, providerId, ticket }))

/** Queries for every counting strategy, with date bounds drawn from the data's own span. */
function queries(): string[] {
  return [
    ...countQueries({ customers: [tickets[0]!.customer_id!], from: '2026-11-10T00:00:00Z', spanDays: 20 }),
    // Same-day and inverted ranges.
    'created_after=2026-11-15T01:00:00Z&created_before=2026-11-15T23:00:00Z',
    'updated_after=2026-11-20T00:00:00Z&updated_before=2026-11-12T00:00:00Z',
  ]
}

const expectCountsExact = (ctx: StoreContext) => expectCounts(ctx.store.db, [PROVIDER_A, PROVIDER_B], queries())

describeEachStore('maintained ticket counts', (ctx) => {
  it('are exact after an import', async () => {
    await ctx.store.importTickets(batches(asImport(tickets, PROVIDER_A)))
    await ctx.store.importTickets(batches(asImport(others, PROVIDER_B)))
    await expectCountsExact(ctx)
  })

  it('are exact after a re-import that changes state, processing, customer and timestamps', async () => {
    const changed = tickets.slice(0, 150).map((t, i) => ({
      ...t,
      externally_processed: !t.externally_processed,
      customer_id: i % 3 === 0 ? null : t.customer_id,
      updated_at: new Date(Date.parse(t.updated_at) + 3 * 86_400_000).toISOString(),
      ...(t.state === 'pending' ? { state: 'cancelled' as const, cancel_reason_id: 1, finished_at: t.created_at } : {}),
    }))
    const result = await ctx.store.importTickets(batches(asImport(changed, PROVIDER_A)))
    expect(result.updated).toBe(150)
    await expectCountsExact(ctx)
  })

  it('are exact after PATCHes, including concurrent ones', async () => {
    const now = new Date('2026-12-01T12:00:00Z')
    await updateTicket(ctx.store, { providerId: PROVIDER_A }, tickets[200]!.id, { externally_processed: true }, { now })
    await Promise.all(
      tickets
        .slice(300, 360)
        .map((t, i) =>
          updateTicket(
            ctx.store,
            { providerId: PROVIDER_A },
            t.id,
            { externally_processed: i % 2 === 0, external_reference: `R${i}` },
            { now },
          ),
        ),
    )
    await expectCountsExact(ctx)
  })

  it('are exact after concurrent imports and deletes', async () => {
    const more = [...generateTickets({ count: 100, seed: 7, providerId: PROVIDER_B, spanDays: 20, firstTicketNumber: 8_100_000 })]
    const evenMore = [...generateTickets({ count: 100, seed: 8, providerId: PROVIDER_B, spanDays: 20, firstTicketNumber: 8_200_000 })]
    await Promise.all([
      ctx.store.importTickets(batches(asImport(more, PROVIDER_B))),
      ctx.store.importTickets(batches(asImport(evenMore, PROVIDER_B))),
    ])
    await ctx.store.db
      .deleteFrom('tickets')
      .where(
        'id',
        'in',
        more.slice(0, 40).map((t) => t.id),
      )
      .execute()
    await expectCountsExact(ctx)
  })

  it('refuse TRUNCATE, which would bypass them', async () => {
    await expect(
      ctx.store.db.executeQuery({ sql: 'TRUNCATE tickets', parameters: [], query: { kind: 'RawNode' } } as never),
    ).rejects.toThrow(/TRUNCATE/)
  })
})
