// Outsourcing is all or nothing: "after a crash between any two statements there is either no
// partner ticket and no outsource and the origin unchanged, or all three". A ledger that fails
// after its N-th call plays the crash at every point of the operation, N = 0, 1, 2, ... until the
// operation succeeds; after each failure the whole database (tickets, outsources, events and
// the maintained counters) must be exactly as before. The operations that follow an outsource
// across providers (reclaim, the partner's close and cancel) are held to the same rule. On
// PostgreSQL, one more crash is real: the backend running the transaction is terminated.
import { sql, type Transaction } from 'kysely'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import type { Principal } from '../../src/auth/bearer.js'
import { createTicket } from '../../src/domain/lifecycle/create-ticket.js'
import type { Operation } from '../../src/domain/lifecycle/operation.js'
import type { Action } from '../../src/domain/lifecycle/state-machine.js'
import { runAction, type ActionBodies } from '../../src/domain/lifecycle/transitions.js'
import type { Database } from '../../src/store/database.js'
import type { TicketLedger } from '../../src/store/ticket-ledger.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { VIN } from '../support/lifecycle.js'
import { describeEachStore, type StoreContext } from '../support/stores.js'

const NOW = new Date('2027-06-01T10:00:00.000Z')
const principal = (providerId: string): Principal => ({
  clientId: `atomicity-${providerId.slice(0, 4)}`,
  providerId,
  scopes: ['tickets:read', 'tickets:write', 'tickets:manage'],
})
const operation = (providerId: string): Operation => ({ principal: principal(providerId), now: NOW })

class Crash extends Error {
  constructor(after: number) {
    super(`crash after ${after} ledger calls`)
    this.name = 'Crash'
  }
}

/**
 * The ledger, passing through its first `budget` calls and failing every one after; `calls`
 * records the names of the calls made. Methods run on the real ledger (its private members).
 */
function crashingLedger(ledger: TicketLedger, budget: number, calls: string[]): TicketLedger {
  return new Proxy(ledger, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (calls.length >= budget) throw new Crash(budget)
        calls.push(String(property))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
}

const COUNTERS = ['ticket_counts', 'ticket_counts_by_customer', 'ticket_counts_by_created_day', 'ticket_counts_by_updated_day']

/** Everything an operation could touch, as comparable text. */
async function snapshot(ctx: StoreContext) {
  const rows = async (query: string) =>
    (await sql.raw<Record<string, unknown>>(query).execute(ctx.store.db)).rows.map((row) => JSON.stringify(row)).sort()
  return {
    tickets: await rows('SELECT id, doc, updated_at::text FROM tickets'),
    outsources: await rows('SELECT * FROM outsources'),
    events: await rows('SELECT id, ticket_id, type, doc FROM ticket_events'),
    counters: Object.fromEntries(await Promise.all(COUNTERS.map(async (table) => [table, await rows(`SELECT * FROM ${table}`)]))),
  }
}

async function create(ctx: StoreContext, providerId: string) {
  const written = await ctx.store.transact((ledger) =>
    createTicket(ledger, operation(providerId), { customer_id: CUSTOMER_X, vehicle_model_id: 31, vin: VIN, voucher_code: 'AT0M' }),
  )
  return written.record
}

async function act<A extends Action>(ctx: StoreContext, providerId: string, id: string, action: A, body: ActionBodies[A]) {
  return (await ctx.store.transact((ledger) => runAction(ledger, operation(providerId), id, action, body))).record
}

async function outsourced(ctx: StoreContext, id: string) {
  const { rows } = await sql<{
    partner_ticket_id: string
    state: string
  }>`SELECT partner_ticket_id, state FROM outsources WHERE ticket_id = ${id} ORDER BY created_at DESC, id LIMIT 1`.execute(ctx.store.db)
  return rows[0]
}

/**
 * Runs the action with a crash after every possible number of ledger calls until it succeeds,
 * checking after each crash that nothing at all changed. Returns the successful run's calls.
 */
async function crashAtEveryPoint<A extends Action>(
  ctx: StoreContext,
  providerId: string,
  id: string,
  action: A,
  body: ActionBodies[A],
): Promise<string[]> {
  const before = await snapshot(ctx)
  for (let budget = 0; budget < 50; budget++) {
    const calls: string[] = []
    const attempt = ctx.store.transact((ledger) =>
      runAction(crashingLedger(ledger, budget, calls), operation(providerId), id, action, body),
    )
    try {
      await attempt
    } catch (error) {
      expect(error, `budget ${budget}`).toBeInstanceOf(Crash)
      expect(calls, `budget ${budget}`).toHaveLength(budget)
      expect(await snapshot(ctx), `${action} crashed after ${calls.join(', ') || 'nothing'}`).toEqual(before)
      continue
    }
    expect(budget, 'the operation should have needed some ledger calls').toBeGreaterThan(0)
    expect(calls).toHaveLength(budget)
    return calls
  }
  throw new Error(`${action} did not succeed within 50 ledger calls`)
}

/** A crash after the operation's last statement, before commit, leaves nothing either. */
async function crashBeforeCommit<A extends Action>(ctx: StoreContext, providerId: string, id: string, action: A, body: ActionBodies[A]) {
  const before = await snapshot(ctx)
  await expect(
    ctx.store.transact(async (ledger) => {
      await runAction(ledger, operation(providerId), id, action, body)
      throw new Crash(Infinity)
    }),
  ).rejects.toBeInstanceOf(Crash)
  expect(await snapshot(ctx)).toEqual(before)
}

describeEachStore(
  'outsourcing is all or nothing',
  (ctx) => {
    it('outsource: a crash after any ledger call leaves no partner ticket, no outsource, no event and the origin unchanged', async () => {
      const origin = await create(ctx, PROVIDER_A)
      await crashBeforeCommit(ctx, PROVIDER_A, origin.id, 'outsource', { provider_id: PROVIDER_B })
      const calls = await crashAtEveryPoint(ctx, PROVIDER_A, origin.id, 'outsource', { provider_id: PROVIDER_B })
      // The crash points covered every write the operation makes.
      expect(calls).toEqual(expect.arrayContaining(['lockTicket', 'arePartners', 'insertTicket', 'insertOutsource', 'updateTicket']))
      expect(calls.indexOf('insertOutsource')).toBeGreaterThan(calls.indexOf('insertTicket'))
      expect(calls.indexOf('updateTicket')).toBeGreaterThan(calls.indexOf('insertOutsource'))

      // And the run that succeeded wrote all three, with their events.
      const outsource = await outsourced(ctx, origin.id)
      expect(outsource?.state).toBe('pending')
      const partner = await ctx.store.db
        .selectFrom('tickets')
        .select(['id', 'provider_id', 'state', 'parent_ticket_id'])
        .where('parent_ticket_id', '=', origin.id)
        .execute()
      expect(partner).toEqual([
        { id: outsource!.partner_ticket_id, provider_id: PROVIDER_B, state: 'pending', parent_ticket_id: origin.id },
      ])
      const originRow = await ctx.store.db
        .selectFrom('tickets')
        .select(['state', 'outsourced'])
        .where('id', '=', origin.id)
        .executeTakeFirst()
      expect(originRow).toEqual({ state: 'outsourced', outsourced: true })
      const events = await ctx.store.db
        .selectFrom('ticket_events')
        .select(['ticket_id', 'type'])
        .where('ticket_id', 'in', [origin.id, outsource!.partner_ticket_id])
        .execute()
      // Ids order each ticket's history, not events of different tickets made in the same millisecond.
      expect(events).toHaveLength(3)
      expect(events).toEqual(
        expect.arrayContaining([
          { ticket_id: origin.id, type: 'tickets.ticket.created' },
          { ticket_id: outsource!.partner_ticket_id, type: 'tickets.ticket.created' },
          { ticket_id: origin.id, type: 'tickets.ticket.outsourced' },
        ]),
      )
    })

    it('outsource from in_progress: the same', async () => {
      const origin = await create(ctx, PROVIDER_A)
      await act(ctx, PROVIDER_A, origin.id, 'join', { operator_id: OPERATOR_Y })
      await crashAtEveryPoint(ctx, PROVIDER_A, origin.id, 'outsource', { provider_id: PROVIDER_B })
      expect((await outsourced(ctx, origin.id))?.state).toBe('pending')
    })

    it('reclaim: the partner’s ticket, the outsource and the origin change together or not at all', async () => {
      const origin = await create(ctx, PROVIDER_A)
      await act(ctx, PROVIDER_A, origin.id, 'outsource', { provider_id: PROVIDER_B })
      await crashBeforeCommit(ctx, PROVIDER_A, origin.id, 'reclaim', {})
      const calls = await crashAtEveryPoint(ctx, PROVIDER_A, origin.id, 'reclaim', {})
      expect(calls.filter((c) => c === 'updateTicket')).toHaveLength(2)
      expect(calls).toContain('updateOutsource')
      expect((await outsourced(ctx, origin.id))?.state).toBe('cancelled')
    })

    it('the partner closing: its ticket, the outsource and the origin close together or not at all', async () => {
      const origin = await create(ctx, PROVIDER_A)
      await act(ctx, PROVIDER_A, origin.id, 'outsource', { provider_id: PROVIDER_B })
      const { partner_ticket_id: partnerId } = (await outsourced(ctx, origin.id))!
      await act(ctx, PROVIDER_B, partnerId, 'join', { operator_id: OPERATOR_Y })
      await crashBeforeCommit(ctx, PROVIDER_B, partnerId, 'close', {})
      const calls = await crashAtEveryPoint(ctx, PROVIDER_B, partnerId, 'close', {})
      expect(calls).toEqual(expect.arrayContaining(['updateOutsource', 'lockLinkedTicket']))
      expect((await outsourced(ctx, origin.id))?.state).toBe('closed')
      const row = await ctx.store.db.selectFrom('tickets').select('state').where('id', '=', origin.id).executeTakeFirst()
      expect(row?.state).toBe('closed')
    })

    it('the partner cancelling: its ticket, the outsource and the origin’s release happen together or not at all', async () => {
      const origin = await create(ctx, PROVIDER_A)
      await act(ctx, PROVIDER_A, origin.id, 'outsource', { provider_id: PROVIDER_B })
      const { partner_ticket_id: partnerId } = (await outsourced(ctx, origin.id))!
      await crashAtEveryPoint(ctx, PROVIDER_B, partnerId, 'cancel', { cancel_reason_id: 3 })
      expect((await outsourced(ctx, origin.id))?.state).toBe('cancelled')
      const row = await ctx.store.db.selectFrom('tickets').select('state').where('id', '=', origin.id).executeTakeFirst()
      expect(row?.state).toBe('pending')
    })

    // A real process-level failure: PostgreSQL terminates the session mid-transaction.
    describe.runIf(ctx.kind === 'postgres')('on PostgreSQL', () => {
      it('a backend terminated after any ledger call of outsource leaves nothing behind', async () => {
        const origin = await create(ctx, PROVIDER_A)
        const before = await snapshot(ctx)
        const admin = new pg.Client({ connectionString: ctx.env.TICKETS_DATABASE_URL })
        await admin.connect()
        try {
          // Budgets 1..5 land after lockTicket, arePartners, nextTicketNumber, insertTicket and insertOutsource.
          for (let budget = 1; budget <= 5; budget++) {
            const calls: string[] = []
            const attempt = ctx.store.transact(async (ledger) => {
              const killing = new Proxy(ledger, {
                get(target, property) {
                  const value: unknown = Reflect.get(target, property, target)
                  if (typeof value !== 'function') return value
                  return async (...args: unknown[]) => {
                    if (calls.length === budget) {
                      const trx = (target as unknown as { trx: Transaction<Database> }).trx
                      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)
                      await admin.query('SELECT pg_terminate_backend($1, 5000)', [rows[0]!.pid])
                    }
                    calls.push(String(property))
                    return (value as (...a: unknown[]) => unknown).apply(target, args)
                  }
                },
              })
              return runAction(killing, operation(PROVIDER_A), origin.id, 'outsource', { provider_id: PROVIDER_B })
            })
            await expect(attempt, `budget ${budget}`).rejects.toThrow(/terminat|connection/i)
            expect(await snapshot(ctx), `terminated after ${calls.slice(0, budget).join(', ')}`).toEqual(before)
          }
        } finally {
          await admin.end()
        }
        // The pool recovers, and the operation then succeeds.
        await act(ctx, PROVIDER_A, origin.id, 'outsource', { provider_id: PROVIDER_B })
        expect((await outsourced(ctx, origin.id))?.state).toBe('pending')
      })
    })
  },
  async (store) => {
    await store.addPartnership(PROVIDER_A, PROVIDER_B)
  },
)
