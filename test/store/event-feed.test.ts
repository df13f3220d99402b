// The feed's store contract on both stores: feed order, filters, unknown ids, the purge, and
// (PostgreSQL) events held back while an older transaction is still open.
import pg from 'pg'
import { expect, it } from 'vitest'
import { describeEachStore, TEST_DATABASE_URL } from '../support/stores.js'
import { nextUlid } from '../../src/domain/lifecycle/ulid.js'
import { settleFeed } from '../support/feed.js'

const PROVIDER = '11111111-1111-4111-8111-111111111111'
const OTHER = '22222222-2222-4222-8222-222222222222'
const TICKET = '33333333-3333-4333-8333-333333333333'

let previous: string | undefined
function ulid(): string {
  previous = nextUlid(Date.now(), previous)
  return previous
}

function event(type: string, providerId = PROVIDER, occurredAt = new Date().toISOString()) {
  const id = ulid()
  return { id, providerId, type, occurredAt, doc: JSON.stringify({ id, type }) }
}

describeEachStore('event feed store', (context) => {
  it('serves a provider’s events oldest first, after an id, with filters and a limit', async () => {
    const { store } = context
    const written = [event('tickets.ticket.created'), event('tickets.ticket.joined'), event('webhook.endpoint.disabled')]
    for (const e of written) await store.appendProviderEvent(e)
    await store.appendProviderEvent(event('tickets.ticket.created', OTHER))
    // Another database's writer on the same PostgreSQL may hold the fence back for a moment.
    await settleFeed(store, [PROVIDER, OTHER])

    const all = await store.readFeed({ providerId: PROVIDER }, { limit: 10 })
    expect(all).toEqual({ found: true, events: written.map((e) => e.doc), lastId: written[2]!.id, pending: false })

    const after = await store.readFeed({ providerId: PROVIDER }, { limit: 10, afterId: written[0]!.id })
    expect(after.found && after.events).toEqual([written[1]!.doc, written[2]!.doc])

    const prefixed = await store.readFeed({ providerId: PROVIDER }, { limit: 10, typePrefixes: ['tickets.ticket.'] })
    expect(prefixed.found && prefixed.events).toEqual([written[0]!.doc, written[1]!.doc])
    const typed = await store.readFeed(
      { providerId: PROVIDER },
      { limit: 1, types: ['tickets.ticket.joined', 'webhook.endpoint.disabled'] },
    )
    expect(typed).toEqual({ found: true, events: [written[1]!.doc], lastId: written[1]!.id, pending: false })
    const none = await store.readFeed({ providerId: PROVIDER }, { limit: 10, ticketId: TICKET })
    expect(none).toEqual({ found: true, events: [], lastId: undefined, pending: false })

    // Another provider's id is unknown here, as is one never written.
    expect(await store.readFeed({ providerId: PROVIDER }, { limit: 10, afterId: ulid() })).toEqual({ found: false })
    const others = await store.readFeed({ providerId: OTHER }, { limit: 10 })
    expect(others.found && others.lastId).toBeTruthy()
    expect(await store.readFeed({ providerId: PROVIDER }, { limit: 10, afterId: others.found ? others.lastId : '' })).toEqual({
      found: false,
    })
  })

  it('purges events older than the cutoff', async () => {
    const { store } = context
    const old = event('tickets.ticket.closed', PROVIDER, '2020-01-01T00:00:00Z')
    await store.appendProviderEvent(old)
    expect(await store.purgeEventsBefore(new Date('2021-01-01T00:00:00Z'))).toBe(1)
    expect(await store.readFeed({ providerId: PROVIDER }, { limit: 10, afterId: old.id })).toEqual({ found: false })
  })

  it('purges at most `limit` events a statement', async () => {
    const { store } = context
    for (let i = 0; i < 3; i++) await store.appendProviderEvent(event('tickets.ticket.closed', OTHER, '2019-01-01T00:00:00Z'))
    const cutoff = new Date('2019-06-01T00:00:00Z')
    expect(await store.purgeEventsBefore(cutoff, 2)).toBe(2)
    expect(await store.purgeEventsBefore(cutoff, 2)).toBe(1)
    expect(await store.purgeEventsBefore(cutoff, 2)).toBe(0)
  })

  it.runIf(context.kind === 'postgres')('holds back events committed after an older transaction that is still open', async () => {
    const { store, env } = context
    const provider = '44444444-4444-4444-8444-444444444444'
    const holder = new pg.Client({ connectionString: env.TICKETS_DATABASE_URL })
    await holder.connect()
    try {
      // The older writer takes its transaction id first and commits last.
      await holder.query('BEGIN')
      await holder.query('SELECT pg_current_xact_id()')
      const later = event('tickets.ticket.created', provider)
      await store.appendProviderEvent(later)
      const held = await store.readFeed({ providerId: provider }, { limit: 10 })
      expect(held).toEqual({ found: true, events: [], lastId: undefined, pending: true })

      const earlier = event('tickets.ticket.created', provider)
      await holder.query(
        `INSERT INTO ticket_events (id, provider_id, ticket_id, type, occurred_at, doc) VALUES ($1, $2, NULL, $3, now(), $4)`,
        [earlier.id, provider, earlier.type, earlier.doc],
      )
      await holder.query('COMMIT')
      await settleFeed(store, [provider])
      const released = await store.readFeed({ providerId: provider }, { limit: 10 })
      // Feed order is commit-safe, not id order: the older transaction's event comes first.
      expect(released).toEqual({ found: true, events: [earlier.doc, later.doc], lastId: later.id, pending: false })
    } finally {
      await holder.end()
    }
  })

  it.runIf(context.kind === 'postgres')('is not held back by a transaction open in another database on the same server', async () => {
    const { store } = context
    const provider = '55555555-5555-4555-8555-555555555555'
    // A writer in the server's maintenance database: it can never write this database's events.
    const elsewhere = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await elsewhere.connect()
    try {
      await elsewhere.query('BEGIN')
      await elsewhere.query('SELECT pg_current_xact_id()')
      const written = event('tickets.ticket.created', provider)
      await store.appendProviderEvent(written)
      const page = await store.readFeed({ providerId: provider }, { limit: 10 })
      expect(page).toEqual({ found: true, events: [written.doc], lastId: written.id, pending: false })
    } finally {
      await elsewhere.query('ROLLBACK')
      await elsewhere.end()
    }
  })
})
