// The events-feed scenario (feed-1000): full pages of GET /v2/system/events?limit=1000&after_id=…
// on the big provider, as a consumer catching up after a pause reads them.
//
// Event ids exist only in the live store (the dataset is imported, and an import writes no
// events), so, like the transitions' pools (lifecycle.ts), the request list is made just before
// the scenario: the bench walks the big provider's feed from the start, and when it holds fewer
// than FEED_EVENTS_NEEDED events it first writes the missing ones through the API (a PATCH of
// external_reference on the provider's tickets; each is one tickets.ticket.updated event),
// outside the measurement; on PostgreSQL the table is then analysed, as autovacuum would soon
// (see below). Positions are then sampled (seeded) among the ids that have at least
// a full page after them, so every request answers 1,000 events. Reads only: the list is
// replayed in a loop like the other read scenarios.
import pg from 'pg'
import { seededRandom } from '../src/demo/generate-tickets.js'
import type { DatasetMeta } from './dataset.js'
import { TICKETS_PATH, type Operation } from './operation.js'
import type { RunningServer } from './server.js'

export const FEED_SCENARIO = 'feed-1000'
export const FEED_PATH = '/v2/system/events'
export const FEED_PAGE = 1_000
/** Enough for 2,000 sampled positions spread over 10,000 possible starts. */
export const FEED_EVENTS_NEEDED = 11_000
const OPERATIONS = 2_000

async function call(server: RunningServer, token: string, method: string, path: string, body?: string): Promise<unknown> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/merge-patch+json' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text) as unknown
}

/** Every event id of the provider's feed, in feed order. */
async function feedIds(server: RunningServer, token: string): Promise<string[]> {
  const ids: string[] = []
  const seen = new Set<string>()
  for (;;) {
    const after = ids.length > 0 ? `&after_id=${ids[ids.length - 1]}` : ''
    const page = (await call(server, token, 'GET', `${FEED_PATH}?limit=${FEED_PAGE}${after}`)) as { result: { id: string }[] }
    for (const event of page.result) {
      // A position that goes back would loop forever: an event whose document names another
      // event's id (bench stores written by a SQL yardstick before replays renamed ids inside documents).
      if (seen.has(event.id))
        throw new Error(`the feed repeats event ${event.id}: this store holds inconsistent events; reload it with --fresh`)
      seen.add(event.id)
      ids.push(event.id)
    }
    if (page.result.length < FEED_PAGE) return ids
  }
}

export interface FeedPoolOptions {
  server: RunningServer
  tokens: Map<string, string>
  meta: DatasetMeta
  seed: number
  /** The PostgreSQL store's database, vacuumed and analysed before the scenario (the run's VACUUM ANALYZE came before the writes). */
  databaseUrl?: string | undefined
  log: (line: string) => void
}

export async function feedOperations(options: FeedPoolOptions): Promise<Operation[]> {
  const { server, tokens, meta, log } = options
  const provider = meta.providers[0]!
  const token = tokens.get(provider.id)!
  let ids = await feedIds(server, token)
  if (ids.length < FEED_EVENTS_NEEDED) {
    const missing = FEED_EVENTS_NEEDED - ids.length
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < missing) {
          const i = next++
          const id = provider.ids[i % provider.ids.length]!
          await call(
            server,
            token,
            'PATCH',
            `${TICKETS_PATH}/${id}`,
            JSON.stringify({ external_reference: `bench-feed-${ids.length + i}` }),
          )
        }
      }),
    )
    log(
      `${FEED_SCENARIO}: ${ids.length} events, wrote ${missing} through the API in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    )
    ids = await feedIds(server, token)
  } else log(`${FEED_SCENARIO}: ${ids.length} events (needs ${FEED_EVENTS_NEEDED})`)
  // Fresh statistics, as autovacuum keeps them on a steady table: the write scenarios before
  // this one add tens of thousands of events, and on statistics that end below a page's
  // position the planner estimates no rows after it, and sorts every later event of the
  // provider instead of walking the index (PostgreSQL CPU per page grew from about 2 to 15 ms
  // over three runs without this). Vacuumed, too, as autovacuum keeps a steady table: an event
  // autovacuum has not visited yet costs every reader a commit-status lookup, and ten readers
  // of the same fresh events contend on those (PostgreSQL CPU per page 15-24 ms instead of 3-5
  // after a day of PATCH runs).
  if (options.databaseUrl) {
    const client = new pg.Client({ connectionString: options.databaseUrl })
    await client.connect()
    await client.query('VACUUM (ANALYZE) ticket_events').finally(() => client.end())
  }
  const random = seededRandom(options.seed * 15_485_863)
  const starts = ids.length - FEED_PAGE
  return Array.from({ length: OPERATIONS }, () => {
    const afterId = ids[Math.floor(random() * starts)]!
    return {
      scenario: FEED_SCENARIO,
      method: 'GET' as const,
      providerId: provider.id,
      path: `${FEED_PATH}?limit=${FEED_PAGE}&after_id=${afterId}`,
      feed: { afterId, limit: FEED_PAGE },
    }
  })
}
