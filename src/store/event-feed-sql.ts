// The event feed over ticket_events (see event-feed.ts).
//
// Why it never skips. Event ids are taken before commit, so ordering by id alone would let a
// reader pass an id whose transaction has not committed yet, and never see that event. Each
// event row records the transaction that wrote it (`txid`, pg_current_xact_id()). The feed is
// ordered by (txid, id) and serves only rows with txid below the fence (feed-fence.ts): the
// oldest transaction still running when the statement's snapshot was taken, of those that
// could have written to this database. Every transaction below the fence has committed or
// aborted, so no row can ever appear below it again: a position once served is final. Rows of
// transactions at or above the fence that have already committed are held back, and reported
// as `pending` so that a caught-up reader looks again soon instead of waiting for a commit.
// On the embedded store there is one session, so the fence is always the next transaction.
import { sql, type Expression, type SqlBool } from 'kysely'
import type { Db } from './database.js'
import type { EventFeedStore, FeedFilter, FeedPage, FeedRead, NewProviderEvent } from './event-feed.js'
import { FENCE } from './feed-fence.js'
import type { ProviderScope } from './provider-scope.js'

function filterConditions(filter: FeedFilter): Expression<SqlBool>[] {
  const conditions: Expression<SqlBool>[] = []
  const types = filter.types ?? []
  const prefixes = filter.typePrefixes ?? []
  if (types.length > 0 || prefixes.length > 0) {
    const alternatives: Expression<SqlBool>[] = []
    if (types.length > 0) alternatives.push(sql<SqlBool>`e.type = ANY(${[...types]}::text[])`)
    // starts_with, not LIKE: a prefix is data, never a pattern.
    for (const prefix of prefixes) alternatives.push(sql<SqlBool>`starts_with(e.type, ${prefix})`)
    conditions.push(sql<SqlBool>`(${sql.join(alternatives, sql` OR `)})`)
  }
  if (filter.ticketId !== undefined) conditions.push(sql<SqlBool>`e.ticket_id = ${filter.ticketId}::uuid`)
  if (filter.occurredAfter !== undefined) conditions.push(sql<SqlBool>`e.occurred_at > ${filter.occurredAfter}::timestamptz`)
  return conditions
}

/** `committed` hears the provider of each provider event appended, once it has committed. */
export function eventFeedSql(
  db: Db,
  committed: (providerIds: readonly string[]) => void = () => {},
): Omit<EventFeedStore, 'onEventsCommitted' | 'onEventsMissed'> {
  return {
    async readFeed(scope: ProviderScope, read: FeedRead): Promise<FeedPage> {
      let afterStart = sql``
      let probeStart = sql`e.txid >= ${FENCE}`
      if (read.afterId !== undefined) {
        const after = await db
          .selectFrom('ticket_events')
          .select(sql<string>`txid::text`.as('txid'))
          .where('id', '=', read.afterId)
          .where('provider_id', '=', scope.providerId)
          .executeTakeFirst()
        if (!after) return { found: false }
        const txid = sql`${after.txid}::xid8`
        afterStart = sql` AND (e.txid, e.id) > (${txid}, ${read.afterId}::text)`
        // The same condition, spelled so that the index scan starts at the fence (or the
        // position, if that is later): a row comparison would be the scan's start key instead,
        // and the probe would walk every served event after the position to find none.
        probeStart = sql`e.txid >= GREATEST(${FENCE}, ${txid}) AND (e.txid > ${txid} OR e.id > ${read.afterId}::text)`
      }
      const conditions = filterConditions(read)
      const where = conditions.length > 0 ? sql` AND ${sql.join(conditions, sql` AND `)}` : sql``
      // One statement, one snapshot: the page and the `pending` probe see the same fence. The
      // fence is a STABLE expression, so it is an index condition on (provider_id, txid, id).
      const { rows } = await sql<{ id: string | null; doc: string | null; pending: boolean }>`
        SELECT page.id, page.doc, false AS pending, page.ord
        FROM (
          SELECT e.id, e.doc, row_number() OVER (ORDER BY e.txid, e.id) AS ord
          FROM (
            SELECT e.id, e.doc, e.txid FROM ticket_events e
            WHERE e.provider_id = ${scope.providerId}::uuid AND e.txid < ${FENCE}${afterStart}${where}
            ORDER BY e.txid, e.id
            LIMIT ${read.limit}
          ) e
        ) page
        UNION ALL
        SELECT NULL, NULL, EXISTS (
          SELECT 1 FROM ticket_events e
          WHERE e.provider_id = ${scope.providerId}::uuid AND ${probeStart}${where}
        ), 0
        ORDER BY ord
      `.execute(db)
      const events: string[] = []
      let lastId: string | undefined
      let pending = false
      for (const row of rows) {
        if (row.id === null || row.doc === null) pending = row.pending
        else {
          events.push(row.doc)
          lastId = row.id
        }
      }
      return { found: true, events, lastId, pending }
    },

    async appendProviderEvent(event: NewProviderEvent): Promise<void> {
      await db
        .insertInto('ticket_events')
        .values({
          id: event.id,
          provider_id: event.providerId,
          ticket_id: null,
          type: event.type,
          occurred_at: event.occurredAt,
          doc: event.doc,
        })
        .execute()
      committed([event.providerId])
    },

    async purgeEventsBefore(cutoff: Date, limit?: number): Promise<number> {
      // With a limit, one bounded statement (the caller repeats it): a month of events deleted
      // at once could outlast the statement timeout, or hold the embedded store's one session.
      const doomed = db.selectFrom('ticket_events').select('id').where('occurred_at', '<', cutoff.toISOString())
      const result = await db
        .deleteFrom('ticket_events')
        .$call((query) =>
          limit === undefined ? query.where('occurred_at', '<', cutoff.toISOString()) : query.where('id', 'in', doomed.limit(limit)),
        )
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
