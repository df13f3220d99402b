// Defence in depth: the write statements themselves are scoped to the provider. Tenancy is
// decided before they run, but even called with the wrong provider (a caller's bug, or a row
// committed by another transaction between check and write) they never change another
// provider's ticket.
import { expect, it } from 'vitest'
import { ImportLineError } from '../../src/domain/import-errors.js'
import { createStaging, stage, upsertStaged } from '../../src/store/import-sql.js'
import { SYSTEM } from '../../src/domain/lifecycle/change.js'
import { buildEvent } from '../../src/domain/lifecycle/events.js'
import { EDGE_TICKETS, PROVIDER_A, PROVIDER_B, seedStore, ticket } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { countTickets, getTicket } from '../support/store-queries.js'

const A = { providerId: PROVIDER_A }
const B = { providerId: PROVIDER_B }

async function* once<T>(batch: T[]) {
  yield batch
}

describeEachStore(
  'writes scoped to the provider',
  (ctx) => {
    it('the ticket update changes nothing, and appends no event, when named with another provider', async () => {
      const target = EDGE_TICKETS[0]!
      const before = await ctx.store.getTicketDocument(A, target.id)
      const now = new Date()
      const write = (providerId: string, external_reference: string) =>
        ctx.store.transact(async (ledger) => {
          // Locked as its owner, then written naming whichever provider the caller says.
          const locked = (await ledger.lockTicket(PROVIDER_A, target.id))!
          const after = { ...locked.record, external_reference }
          const event = buildEvent({
            type: 'tickets.ticket.updated',
            before: locked.record,
            after,
            actor: SYSTEM,
            now,
            lastEventId: locked.lastEventId,
          })
          return ledger.updateTicket({ ...locked.record, provider_id: providerId }, { external_reference }, now, event)
        })
      await expect(write(PROVIDER_B, 'stolen')).rejects.toThrow()
      expect(await ctx.store.getTicketDocument(A, target.id)).toBe(before)
      expect(await ctx.store.ticketEvents(A, target.id, { limit: 10 })).toEqual([])
      // The owner's update goes through, with its event.
      const mine = await write(PROVIDER_A, 'mine')
      expect(JSON.parse(mine.document).external_reference).toBe('mine')
      expect(await ctx.store.ticketEvents(A, target.id, { limit: 10 })).toHaveLength(1)
    })

    it('the import upsert never touches another provider’s row, even past the checks, and names the line', async () => {
      const target = EDGE_TICKETS[1]!
      const before = await ctx.store.getTicketDocument(A, target.id)
      const fresh = ticket({ id: 'f1000000-0000-4000-8000-000000000001', ticket_number: 77_000_001 })
      let seenInside: string | undefined
      // The upsert on its own, without the checks that run before it: line 2 claims A's ticket for B.
      const attempt = ctx.store.db.transaction().execute(async (trx) => {
        await createStaging(trx)
        await stage(trx, [
          { line: 1, providerId: PROVIDER_B, ticket: fresh },
          { line: 2, providerId: PROVIDER_B, ticket: { ...target, external_reference: 'stolen', voucher_code: 'STOLEN' } },
        ])
        try {
          return await upsertStaged(trx)
        } catch (error) {
          const row = await trx.selectFrom('tickets').select(['doc', 'provider_id']).where('id', '=', target.id).executeTakeFirstOrThrow()
          seenInside = `${row.provider_id} ${row.doc}`
          throw error
        }
      })
      await expect(attempt).rejects.toThrow(new ImportLineError(2, 'id', 'belongs to a ticket of another provider'))
      expect(seenInside).toBe(`${PROVIDER_A} ${before}`)
      expect(await ctx.store.getTicketDocument(B, fresh.id)).toBeUndefined()
    })

    it('an import naming another provider’s ticket is a line-numbered error and imports nothing', async () => {
      const count = await countTickets(ctx.store.db)
      const fresh = ticket({ id: 'f1000000-0000-4000-8000-000000000002', ticket_number: 77_000_002 })
      const attempt = ctx.store.importTickets(
        once([
          { line: 1, providerId: PROVIDER_B, ticket: fresh },
          { line: 2, providerId: PROVIDER_B, ticket: { ...EDGE_TICKETS[2]!, external_reference: 'stolen' } },
        ]),
      )
      await expect(attempt).rejects.toThrow(new ImportLineError(2, 'id', 'belongs to a ticket of another provider'))
      expect(await countTickets(ctx.store.db)).toBe(count)
      expect((await getTicket(ctx.store.db, A, EDGE_TICKETS[2]!.id))?.external_reference).toBe(EDGE_TICKETS[2]!.external_reference)
    })
  },
  seedStore,
)
