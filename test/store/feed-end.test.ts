// Where the feed ends (the start of a live stream without a position), on both stores: none
// before the first event, the last in feed order after, and (PostgreSQL) never past an event
// that an older open transaction still holds back.
import pg from 'pg'
import { expect, it } from 'vitest'
import { nextUlid } from '../../src/domain/lifecycle/ulid.js'
import { describeEachStore } from '../support/stores.js'

const PROVIDER = '55555555-5555-4555-8555-555555555555'
const OTHER = '66666666-6666-4666-8666-666666666666'

let previous: string | undefined
function event(type: string, providerId = PROVIDER) {
  previous = nextUlid(Date.now(), previous)
  const id = previous
  return { id, providerId, type, occurredAt: new Date().toISOString(), doc: JSON.stringify({ id, type }) }
}

describeEachStore('feed end', (context) => {
  it('is undefined before the provider’s first event, then the last event in feed order', async () => {
    const { store } = context
    expect(await store.feedEnd({ providerId: PROVIDER })).toBeUndefined()
    const first = event('tickets.ticket.created')
    const second = event('tickets.ticket.closed')
    await store.appendProviderEvent(first)
    await store.appendProviderEvent(second)
    await store.appendProviderEvent(event('tickets.ticket.created', OTHER))
    expect(await store.feedEnd({ providerId: PROVIDER })).toBe(second.id)
    // Reading after the end finds nothing until the next event.
    expect(await store.readFeed({ providerId: PROVIDER }, { limit: 10, afterId: second.id })).toMatchObject({ events: [] })
  })

  it.runIf(context.kind === 'postgres')('stays before events an older open transaction holds back', async () => {
    const { store, env } = context
    const provider = '77777777-7777-4777-8777-777777777777'
    const before = event('tickets.ticket.created', provider)
    await store.appendProviderEvent(before)
    const holder = new pg.Client({ connectionString: env.TICKETS_DATABASE_URL })
    await holder.connect()
    try {
      await holder.query('BEGIN')
      await holder.query('SELECT pg_current_xact_id()')
      const later = event('tickets.ticket.joined', provider)
      await store.appendProviderEvent(later)
      // `later` has committed but the feed cannot serve it yet: the end stays at `before`.
      expect(await store.feedEnd({ providerId: provider })).toBe(before.id)
      const earlier = event('tickets.ticket.closed', provider)
      await holder.query(
        `INSERT INTO ticket_events (id, provider_id, ticket_id, type, occurred_at, doc) VALUES ($1, $2, NULL, $3, now(), $4)`,
        [earlier.id, provider, earlier.type, earlier.doc],
      )
      await holder.query('COMMIT')
      // Reading after the end it reported yields both, in feed order: nothing skipped.
      const page = await store.readFeed({ providerId: provider }, { limit: 10, afterId: before.id })
      expect(page).toMatchObject({ events: [earlier.doc, later.doc] })
      expect(await store.feedEnd({ providerId: provider })).toBe(later.id)
    } finally {
      await holder.end()
    }
  })
})
