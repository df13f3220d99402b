// The maintained counters stay exact through the lifecycle's writes too: creates, every
// transition, and outsourcing with what the partner's close or cancel and a reclaim drag along
// (a second provider's ticket created or changed in the same transaction). Writes move tickets
// between states, customers' rows and created/updated days; after each kind the counted totals
// must equal a plain count(*) (the compare helper of ticket-counts.test.ts).
import { expect, it } from 'vitest'
import type { Principal } from '../../src/auth/bearer.js'
import type { NewTicket } from '../../src/contract/ticket-create.js'
import { generateTickets } from '../../src/demo/generate-tickets.js'
import { createTicket } from '../../src/domain/lifecycle/create-ticket.js'
import type { Action } from '../../src/domain/lifecycle/state-machine.js'
import { runAction, type ActionBodies } from '../../src/domain/lifecycle/transitions.js'
import type { ImportTicket } from '../../src/store/ticket-transfer.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { VIN } from '../support/lifecycle.js'
import { describeEachStore } from '../support/stores.js'
import { countQueries, expectCountsExact } from '../support/ticket-counts.js'

const CUSTOMER_W = '2e7a3f51-0c4d-4b8e-9f60-7a1b2c3d4e5f'
const DAY = 86_400_000
// Lifecycle writes happen over the five days after the imported tickets' span.
const FIRST_DAY = Date.parse('2026-12-01T09:00:00Z')

const imported = [...generateTickets({ count: 120, seed: 11, providerId: PROVIDER_A, spanDays: 10, customers: 3 })]
const importedB = [...generateTickets({ count: 60, seed: 12, providerId: PROVIDER_B, spanDays: 10, firstTicketNumber: 8_500_000 })]

async function* batches(entries: ImportTicket[]) {
  yield entries
}

const principal = (providerId: string): Principal => ({
  clientId: `counts-${providerId.slice(0, 4)}`,
  providerId,
  scopes: ['tickets:read', 'tickets:write', 'tickets:manage'],
})

const queries = [
  ...countQueries({ customers: [CUSTOMER_X, CUSTOMER_W, imported[0]!.customer_id!], from: '2026-11-20T00:00:00Z', spanDays: 17 }),
  'state=outsourced',
  'state=prepared,pending',
  'state=cancelled',
  `customer_id=${CUSTOMER_X}&state=outsourced`,
  `customer_id=${CUSTOMER_W}&state=in_progress,pending`,
  // Each lifecycle day on its own, by created and by updated day.
  ...[0, 1, 2, 3, 4].flatMap((d) => {
    const [from, to] = [
      new Date(FIRST_DAY + d * DAY - 9 * 3_600_000).toISOString(),
      new Date(FIRST_DAY + (d + 1) * DAY - 9 * 3_600_000).toISOString(),
    ]
    return [`created_after=${from}&created_before=${to}`, `updated_after=${from}&updated_before=${to}&state=closed,pending`]
  }),
]

describeEachStore(
  'maintained ticket counts through the lifecycle',
  (ctx) => {
    const expectExact = () => expectCountsExact(ctx.store.db, [PROVIDER_A, PROVIDER_B], queries)
    const at = (day: number, minute = 0) => new Date(FIRST_DAY + day * DAY + minute * 60_000)

    const create = async (providerId: string, day: number, body: Partial<NewTicket> = {}) =>
      (
        await ctx.store.transact((ledger) =>
          createTicket(
            ledger,
            { principal: principal(providerId), now: at(day) },
            { customer_id: CUSTOMER_X, vehicle_model_id: 5, vin: VIN, ...body },
          ),
        )
      ).record
    const act = async <A extends Action>(providerId: string, day: number, id: string, action: A, body: ActionBodies[A]) =>
      (await ctx.store.transact((ledger) => runAction(ledger, { principal: principal(providerId), now: at(day, 30) }, id, action, body)))
        .record
    const partnerOf = async (originId: string) => {
      const row = await ctx.store.db
        .selectFrom('outsources')
        .select('partner_ticket_id')
        .where('ticket_id', '=', originId)
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow()
      return row.partner_ticket_id
    }

    it('are exact after an import of both providers', async () => {
      await ctx.store.importTickets(batches(imported.map((ticket, i) => ({ line: i + 1, providerId: PROVIDER_A, ticket }))))
      await ctx.store.importTickets(batches(importedB.map((ticket, i) => ({ line: i + 1, providerId: PROVIDER_B, ticket }))))
      await expectExact()
    })

    it('are exact after creates: pending and prepared, several customers and days, and concurrent ones', async () => {
      for (let day = 0; day < 3; day++) {
        await create(PROVIDER_A, day)
        await create(PROVIDER_A, day, { customer_id: CUSTOMER_W })
        await create(PROVIDER_A, day, { state: 'prepared', vin: undefined })
        await create(PROVIDER_B, day)
      }
      await Promise.all(Array.from({ length: 12 }, (_, i) => create(i % 2 ? PROVIDER_A : PROVIDER_B, i % 3, { customer_id: CUSTOMER_W })))
      await expectExact()
    })

    it('are exact after every transition, each on a later day than the create', async () => {
      const prepared = await create(PROVIDER_A, 0, { state: 'prepared', vin: undefined, customer_id: CUSTOMER_W })
      await act(PROVIDER_A, 1, prepared.id, 'submit', { vin: VIN })
      await expectExact()
      await act(PROVIDER_A, 2, prepared.id, 'join', { operator_id: OPERATOR_Y })
      await expectExact()
      await act(PROVIDER_A, 2, prepared.id, 'release', {})
      await act(PROVIDER_A, 3, prepared.id, 'join', { operator_id: OPERATOR_Y })
      await act(PROVIDER_A, 4, prepared.id, 'close', {})
      await expectExact()

      const cancelled = await create(PROVIDER_A, 0)
      await act(PROVIDER_A, 1, cancelled.id, 'cancel', { cancel_reason_id: 1 })
      await expectExact()
      await act(PROVIDER_A, 3, cancelled.id, 'reopen', {})
      await expectExact()
      // A prepared ticket can be cancelled once it has a VIN.
      const preparedCancel = await create(PROVIDER_B, 1, { state: 'prepared' })
      await act(PROVIDER_B, 2, preparedCancel.id, 'cancel', { cancel_reason_id: 7 })
      const inProgressCancel = await create(PROVIDER_B, 1, { customer_id: CUSTOMER_W })
      await act(PROVIDER_B, 1, inProgressCancel.id, 'join', { operator_id: OPERATOR_Y })
      await act(PROVIDER_B, 4, inProgressCancel.id, 'cancel', { cancel_reason_id: 4 })
      await expectExact()
    })

    it('are exact after concurrent transitions of many tickets', async () => {
      const tickets = await Promise.all(Array.from({ length: 16 }, (_, i) => create(i % 2 ? PROVIDER_A : PROVIDER_B, 0)))
      await Promise.all(tickets.map((t) => act(t.provider_id, 1, t.id, 'join', { operator_id: OPERATOR_Y })))
      await Promise.all(
        tickets.map((t, i) =>
          i % 3 === 0
            ? act(t.provider_id, 2, t.id, 'close', {})
            : i % 3 === 1
              ? act(t.provider_id, 3, t.id, 'release', {})
              : act(t.provider_id, 4, t.id, 'cancel', { cancel_reason_id: 2 }),
        ),
      )
      await expectExact()
    })

    it('are exact after outsourcing (from pending and from in_progress) and the partner joining', async () => {
      const pending = await create(PROVIDER_A, 0)
      await act(PROVIDER_A, 1, pending.id, 'outsource', { provider_id: PROVIDER_B })
      await expectExact()
      const inProgress = await create(PROVIDER_A, 0, { customer_id: CUSTOMER_W })
      await act(PROVIDER_A, 0, inProgress.id, 'join', { operator_id: OPERATOR_Y })
      await act(PROVIDER_A, 2, inProgress.id, 'outsource', { provider_id: PROVIDER_B })
      await act(PROVIDER_B, 3, await partnerOf(inProgress.id), 'join', { operator_id: OPERATOR_Y })
      await expectExact()
    })

    it('are exact after the partner closes (the origin closes) and cancels (the origin is pending again)', async () => {
      const closing = await create(PROVIDER_A, 0)
      await act(PROVIDER_A, 1, closing.id, 'outsource', { provider_id: PROVIDER_B })
      const closingPartner = await partnerOf(closing.id)
      await act(PROVIDER_B, 2, closingPartner, 'join', { operator_id: OPERATOR_Y })
      await act(PROVIDER_B, 4, closingPartner, 'close', {})
      expect((await ctx.store.db.selectFrom('tickets').select('state').where('id', '=', closing.id).executeTakeFirst())?.state).toBe(
        'closed',
      )
      await expectExact()

      const cancelling = await create(PROVIDER_A, 0, { customer_id: CUSTOMER_W })
      await act(PROVIDER_A, 1, cancelling.id, 'outsource', { provider_id: PROVIDER_B })
      await act(PROVIDER_B, 3, await partnerOf(cancelling.id), 'cancel', { cancel_reason_id: 5 })
      expect((await ctx.store.db.selectFrom('tickets').select('state').where('id', '=', cancelling.id).executeTakeFirst())?.state).toBe(
        'pending',
      )
      await expectExact()
    })

    it('are exact after a reclaim, and after outsourcing the same ticket again', async () => {
      const origin = await create(PROVIDER_A, 0)
      await act(PROVIDER_A, 1, origin.id, 'outsource', { provider_id: PROVIDER_B })
      await act(PROVIDER_A, 2, origin.id, 'reclaim', {})
      await expectExact()
      await act(PROVIDER_A, 3, origin.id, 'outsource', { provider_id: PROVIDER_B })
      await expectExact()
    })

    it('are exact after concurrent outsourcing and partner actions across both providers', async () => {
      const origins = await Promise.all(
        Array.from({ length: 8 }, (_, i) => create(PROVIDER_A, i % 2, { customer_id: i % 2 ? CUSTOMER_W : CUSTOMER_X })),
      )
      await Promise.all(origins.map((o) => act(PROVIDER_A, 2, o.id, 'outsource', { provider_id: PROVIDER_B })))
      const partners = await Promise.all(origins.map((o) => partnerOf(o.id)))
      await Promise.all(
        origins.map(async (o, i) => {
          if (i % 4 === 0) return act(PROVIDER_A, 3, o.id, 'reclaim', {})
          if (i % 4 === 1) return act(PROVIDER_B, 3, partners[i]!, 'cancel', { cancel_reason_id: 8 })
          await act(PROVIDER_B, 3, partners[i]!, 'join', { operator_id: OPERATOR_Y })
          if (i % 4 === 2) await act(PROVIDER_B, 4, partners[i]!, 'close', {})
        }),
      )
      await expectExact()
    })
  },
  async (store) => {
    await store.addPartnership(PROVIDER_A, PROVIDER_B)
  },
)
