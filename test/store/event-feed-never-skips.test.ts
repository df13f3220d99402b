// The never-skips proof. Many writers commit concurrently and out of order (lifecycle actions
// through the API, ledger transactions that take their event ids early and commit late, some
// that roll back, provider events, and on PostgreSQL transactions held open on purpose while
// everyone else commits), while consumers follow the feed with the last id they saw: one
// paging back to back as fast as it can, one long polling. At the end each consumer must have
// seen every committed event of its provider exactly once, in the feed's one order, none of
// another provider's and none that rolled back.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Principal } from '../../src/auth/bearer.js'
import { createTicket } from '../../src/domain/lifecycle/create-ticket.js'
import { nextUlid } from '../../src/domain/lifecycle/ulid.js'
import { endpointDisabledEvent } from '../../src/events/provider-events.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { settleFeed } from '../support/feed.js'
import { CUSTOMER_X, OPERATOR_Y, PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { platformFor, type Platform } from '../support/lifecycle.js'
import { describeEachStore } from '../support/stores.js'

const FEED = '/v2/system/events'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const random = (max: number) => Math.floor(Math.random() * max)

const principal = (providerId: string): Principal => ({ clientId: 'tc_writer', providerId, scopes: ['tickets:manage'] })
const NEW_TICKET = { customer_id: CUSTOMER_X, vehicle_model_id: 1, vin: 'WVWZZZ1JZXW000001' }

describeEachStore('the event feed never skips', (ctx) => {
  let app: FastifyInstance
  let mine: Platform
  let theirs: Platform
  let reader: string

  beforeAll(async () => {
    app = await createTestApp(ctx.store, { signingSecret: 'never-skips-test-secret-0123456789abcdef' })
    mine = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
    theirs = await platformFor(app, ctx.store, PROVIDER_B, CUSTOMER_X)
    reader = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
  })
  afterAll(async () => {
    await app.close()
  })

  /** Creates tickets and moves each through join, release, join, close: five events a ticket. */
  async function apiWriter(platform: Platform, tickets: number): Promise<void> {
    for (let i = 0; i < tickets; i++) {
      const { id } = await platform.create()
      for (const [action, body] of [
        ['join', { operator_id: OPERATOR_Y }],
        ['release', undefined],
        ['join', { operator_id: OPERATOR_Y }],
        ['close', {}],
      ] as const) {
        const response = await platform.act(id, action, body)
        expect(response.statusCode, response.body).toBe(200)
      }
    }
  }

  /** Transactions that take their ids, wait, then commit (or roll back): commits out of id order. */
  async function ledgerWriter(transactions: number): Promise<void> {
    for (let i = 0; i < transactions; i++) {
      const rollback = i % 4 === 3
      await ctx.store
        .transact(async (ledger) => {
          await createTicket(ledger, { principal: principal(PROVIDER_A), now: new Date() }, NEW_TICKET)
          await sleep(random(15))
          await createTicket(ledger, { principal: principal(random(2) ? PROVIDER_A : PROVIDER_B), now: new Date() }, NEW_TICKET)
          if (rollback) throw new Error('rolled back on purpose')
        })
        .catch((error: Error) => {
          if (!rollback) throw error
        })
    }
  }

  async function providerEvents(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const providerId = i % 3 === 0 ? PROVIDER_B : PROVIDER_A
      await ctx.store.appendProviderEvent(
        endpointDisabledEvent(providerId, { id: randomUUID(), url: 'https://hooks.example/x', disabled_reason: 'test' }, new Date()),
      )
      await sleep(random(10))
    }
  }

  /**
   * PostgreSQL only: a transaction that writes its event first, stays open while others
   * commit, and commits last (or rolls back). Returns the ids of events that never committed.
   */
  async function heldTransactions(count: number): Promise<string[]> {
    const rolledBack: string[] = []
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const client = new pg.Client({ connectionString: ctx.env.TICKETS_DATABASE_URL })
        await client.connect()
        try {
          await sleep(random(300))
          await client.query('BEGIN')
          const id = nextUlid(Date.now())
          await client.query(
            `INSERT INTO ticket_events (id, provider_id, ticket_id, type, occurred_at, doc) VALUES ($1, $2, NULL, 'webhook.endpoint.disabled', now(), $3)`,
            [id, i % 2 === 0 ? PROVIDER_A : PROVIDER_B, JSON.stringify({ id, held: i })],
          )
          await sleep(200 + random(600))
          if (i % 5 === 4) {
            await client.query('ROLLBACK')
            rolledBack.push(id)
          } else await client.query('COMMIT')
        } finally {
          await client.end()
        }
      }),
    )
    return rolledBack
  }

  /** Follows the feed from the start with the last id seen, until caught up after `done`. */
  async function consume(query: string, done: () => boolean): Promise<string[]> {
    const seen: string[] = []
    for (;;) {
      const finished = done()
      const after = seen.length > 0 ? `&after_id=${seen.at(-1)}` : ''
      const response = await app.inject({ method: 'GET', url: `${FEED}?${query}${after}`, headers: bearer(reader) })
      expect(response.statusCode, response.body).toBe(200)
      const page = response.json().result as Array<{ id: string }>
      seen.push(...page.map((event) => event.id))
      // Empty after every writer finished and the feed served all that committed: caught up.
      if (finished && page.length === 0) return seen
      // Back to back, but through the event loop: the embedded store answers in microtasks,
      // and a loop of those alone would starve every timer (the writers' sleeps included).
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  it('delivers every committed event of the provider exactly once, in one order, to a fast pager and a long poller', async () => {
    let settled = false
    const done = () => settled
    const pager = consume(`limit=${1 + random(7)}`, done)
    const poller = consume('limit=10&wait=1', done)

    const held = ctx.kind === 'postgres' ? heldTransactions(12) : Promise.resolve([])
    await Promise.all([
      apiWriter(mine, 6),
      apiWriter(mine, 6),
      apiWriter(theirs, 4),
      ledgerWriter(ctx.kind === 'postgres' ? 16 : 8),
      ledgerWriter(ctx.kind === 'postgres' ? 16 : 8),
      providerEvents(12),
    ])
    const rolledBack = await held
    await settleFeed(ctx.store, [PROVIDER_A])
    settled = true
    const [paged, polled] = await Promise.all([pager, poller])

    // What committed, in the feed's order, read straight from the table.
    const { rows } = await ctx.store.db
      .selectFrom('ticket_events')
      .select(['id', 'provider_id'])
      .orderBy('txid')
      .orderBy('id')
      .execute()
      .then((result) => ({ rows: result }))
    const committed = rows.filter((row) => row.provider_id === PROVIDER_A).map((row) => row.id)
    const others = new Set(rows.filter((row) => row.provider_id !== PROVIDER_A).map((row) => row.id))
    expect(committed.length).toBeGreaterThan(80)
    expect(others.size).toBeGreaterThan(20)

    for (const seen of [paged, polled]) {
      expect(new Set(seen).size).toBe(seen.length)
      expect(seen.filter((id) => others.has(id))).toEqual([])
      expect(seen.filter((id) => rolledBack.includes(id))).toEqual([])
      expect(seen).toEqual(committed)
    }
  }, 120_000)
})
