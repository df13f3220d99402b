// writeOnce, the PATCH's optimistic write: no transaction is held between the read and the
// write, so these tests put another writer exactly there and check that nothing is lost: the
// loser runs again on the new row, every change has its event, and each event's `old` is the
// previous event's `new` (no event was built from a stale read).
import { expect, it } from 'vitest'
import type { TicketPatch } from '../../src/contract/ticket-patch.js'
import { patchTicket } from '../../src/domain/lifecycle/patch-ticket.js'
import type { TicketWriter } from '../../src/store/ticket-ledger.js'
import { EDGE_TICKETS, PROVIDER_A, seedStore } from '../support/fixtures.js'
import { describeEachStore, type StoreContext } from '../support/stores.js'

const principal = { clientId: 'write-once-test', providerId: PROVIDER_A, scopes: ['tickets:write' as const, 'tickets:manage' as const] }
const operation = () => ({ principal, now: new Date() })

interface Change {
  old: unknown
  new: unknown
}

/** The ticket's events, oldest first, as their `changes` of external_reference. */
async function referenceChanges(ctx: StoreContext, ticketId: string): Promise<Change[]> {
  const events = (await ctx.store.ticketEvents({ providerId: PROVIDER_A }, ticketId, { limit: 1000 }))!
  return events.map((doc) => (JSON.parse(doc) as { changes: { external_reference: Change } }).changes.external_reference)
}

const referenceOf = async (ctx: StoreContext, ticketId: string) =>
  (JSON.parse((await ctx.store.getTicketDocument({ providerId: PROVIDER_A }, ticketId))!) as { external_reference: string })
    .external_reference

/** A PATCH that, before it writes, lets `between` run (another writer, in the tests). */
function patchWith(ctx: StoreContext, ticketId: string, patch: TicketPatch, between: (attempt: number) => Promise<void>) {
  let attempt = 0
  return {
    attempts: () => attempt,
    run: () =>
      ctx.store.writeOnce((writer) => {
        const interposed: TicketWriter = {
          lockTicket: async (providerId, id) => {
            const locked = await writer.lockTicket(providerId, id)
            await between(++attempt)
            return locked
          },
          updateTicket: (...args) => writer.updateTicket(...args),
        }
        return patchTicket(interposed, operation(), ticketId, patch)
      }),
  }
}

const plainPatch = (ctx: StoreContext, ticketId: string, patch: TicketPatch) =>
  ctx.store.writeOnce((writer) => patchTicket(writer, operation(), ticketId, patch))

describeEachStore(
  'writeOnce (the PATCH write)',
  (ctx) => {
    it('runs again on the new row when another writer changed the ticket between its read and its write', async () => {
      const id = EDGE_TICKETS[0]!.id
      const start = await referenceOf(ctx, id)
      const patch = patchWith(ctx, id, { external_reference: 'second' }, async (attempt) => {
        if (attempt === 1) await plainPatch(ctx, id, { external_reference: 'first' })
      })
      const written = await patch.run()
      expect(patch.attempts()).toBe(2)
      expect(JSON.parse(written.document).external_reference).toBe('second')
      expect(await referenceChanges(ctx, id)).toEqual([
        { old: start, new: 'first' },
        // Built from the row the second attempt read, not the stale first read.
        { old: 'first', new: 'second' },
      ])
    })

    it('takes the ticket’s lock after losing three races, and still writes once', async () => {
      const id = EDGE_TICKETS[1]!.id
      const patch = patchWith(ctx, id, { external_reference: 'patient' }, async (attempt) => {
        if (attempt <= 3) await plainPatch(ctx, id, { external_reference: `rival ${attempt}` })
      })
      const written = await patch.run()
      expect(patch.attempts()).toBe(4)
      expect(JSON.parse(written.document).external_reference).toBe('patient')
      const changes = await referenceChanges(ctx, id)
      expect(changes.map((change) => change.new)).toEqual(['rival 1', 'rival 2', 'rival 3', 'patient'])
      expect(changes[3]!.old).toBe('rival 3')
    })

    it('gives every one of many concurrent PATCHes of one ticket its change and an event built on the one before', async () => {
      const id = EDGE_TICKETS[2]!.id
      const start = await referenceOf(ctx, id)
      const values = Array.from({ length: 24 }, (_, i) => `concurrent ${i}`)
      await Promise.all(values.map((value) => plainPatch(ctx, id, { external_reference: value })))
      const changes = await referenceChanges(ctx, id)
      expect(changes).toHaveLength(values.length)
      expect(new Set(changes.map((change) => change.new))).toEqual(new Set(values))
      // A chain: each event starts where the previous one ended, so no write was built on a stale read.
      expect(changes.map((change) => change.old)).toEqual([start, ...changes.slice(0, -1).map((change) => change.new)])
      expect(await referenceOf(ctx, id)).toBe(changes.at(-1)!.new)
    })

    it('answers 404 when the ticket is deleted between the read and the write, and appends nothing', async () => {
      const id = EDGE_TICKETS[3]!.id
      const patch = patchWith(ctx, id, { external_reference: 'too late' }, async () => {
        await ctx.store.db.deleteFrom('tickets').where('id', '=', id).execute()
      })
      await expect(patch.run()).rejects.toMatchObject({ slug: 'ticket-not-found' })
      const events = await ctx.store.db.selectFrom('ticket_events').select('id').where('ticket_id', '=', id).execute()
      expect(events).toEqual([])
    })
  },
  seedStore,
)
