// The event feed's fence (see event-feed-sql.ts): the oldest transaction that was still running
// when the reading statement's snapshot was taken and that could have written to this
// database. Every event row below it has committed or aborted, so a position once served is
// final.
//
// pg_snapshot_xmin(pg_current_snapshot()) alone would be that fence for the whole cluster: a
// long transaction in another database on the same server (a bulk load, an idle-in-transaction
// session) would hold back every provider's feed, live streams and webhooks for as long as it
// ran. A running transaction is left out only when pg_stat_activity positively shows it to
// belong to a backend of another database (a backend never changes database, and a transaction
// id is never reused while it runs). Everything it cannot place (a transaction that ended
// meanwhile, a prepared one, a backend whose details the role may not read) still counts, so
// the fence can only be too early, never too late. Transactions of this database still hold
// it: one of them may be writing events.
//
// An InitPlan evaluated once per statement, so it stays an index condition on
// (provider_id, txid, id); pg_stat_activity is read only when the snapshot has running
// transactions at all.
import { sql } from 'kysely'

export const FENCE = sql`(
  SELECT COALESCE((
    SELECT min(x) FROM pg_snapshot_xip(s) AS x
    WHERE xid(x) NOT IN (
      SELECT a.backend_xid FROM pg_stat_get_activity(NULL) a
      WHERE a.backend_xid IS NOT NULL AND a.datid <> (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
  ), pg_snapshot_xmax(s))
  FROM pg_current_snapshot() AS s)`
