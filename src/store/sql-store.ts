// The Store over Kysely: one module per resource, each a function of the database handle,
// composed here. The same composition serves PostgreSQL and the embedded PGlite store: they
// differ only in the pool they were opened with (see open-store.ts). A new resource is an
// interface in its own file, its `…Sql(db)` module, and one line in each list below.
import { ClientCache } from './client-cache.js'
import { clientsSql } from './clients-sql.js'
import type { Db } from './database.js'
import type { Pool, PoolStats } from './drivers/pool.js'
import { CLIENT_CHANNEL } from './migrations/0003-client-notifications.js'
import { signingKeysSql } from './signing-keys-sql.js'
import type { Store } from './store.js'
import { storeHealthSql } from './store-health-sql.js'
import type { StoreKind } from './store-health.js'
import { ticketReadsSql } from './ticket-reads-sql.js'
import { ticketTransferSql } from './ticket-transfer-sql.js'
import { sqlLedgerStore } from './ticket-ledger-sql.js'
import { lifecycleReads } from './lifecycle-reads-sql.js'
import { stateViewsSql } from './state-views-sql.js'
import { eventFeedSql } from './event-feed-sql.js'
import { feedEndSql } from './feed-end-sql.js'
import { EventCommits } from './event-commits.js'
import { CommitPublisher, decodeCommits, EVENTS_CHANNEL } from './event-notify.js'
import { webhookEndpointsSql } from './webhook-endpoints-sql.js'
import { webhookDispatchSql } from './webhook-dispatch-sql.js'

export interface SqlStoreSetup {
  /** How long an import waits for a lock (default lock-timeout.ts's LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number
  /** How long a cached API client is trusted without a query (default client-cache.ts's 30 s). */
  clientCacheTtlMs?: number
  /** Releases what the pool's opener holds beyond the pool (the embedded database). */
  onClose: () => Promise<void>
  /** PGlite has no autovacuum: without a VACUUM after bulk writes, counts stay slow. */
  vacuumAfterImport: boolean
  poolStats?: (() => PoolStats) | undefined
  /** Hears what fails out of any request's way: a NOTIFY of commits, a commit listener. */
  onError?: ((error: Error) => void) | undefined
}

export interface SqlStore extends Store {
  /**
   * Serve client lookups from memory while a NOTIFY subscription on the pool keeps the cache
   * exact (see client-cache.ts). Without one (a remote embedded session) nothing changes.
   */
  cacheClients(pool: Pool): Promise<void>
  /**
   * Hear the event commits of other processes on the same database (their NOTIFYs, see
   * event-notify.ts) as if they were this process's own. Without a subscription (a remote
   * embedded session) nothing changes.
   */
  followEventCommits(pool: Pool): Promise<void>
}

export function createSqlStore(kind: StoreKind, db: Db, setup: SqlStoreSetup): SqlStore {
  // Serves nothing from memory until cacheClients subscribes it.
  const clientCache = new ClientCache(setup.clientCacheTtlMs !== undefined ? { ttlMs: setup.clientCacheTtlMs } : {})
  let subscribed = false
  let unlisten: (() => Promise<void>) | undefined
  const report = (error: Error) => setup.onError?.(error)
  // Every commit of events is heard here at once and sent on to the other processes.
  const commits = new EventCommits(report)
  const publisher = new CommitPublisher(db, report)
  const committed = (providerIds: readonly string[]) => {
    commits.committed(providerIds)
    publisher.add(providerIds)
  }
  let following = false
  let unfollow: (() => Promise<void>) | undefined

  return {
    db,
    ...(setup.poolStats ? { poolStats: setup.poolStats } : {}),
    ...storeHealthSql(kind, db),
    ...ticketReadsSql(db),
    ...stateViewsSql(db),
    ...sqlLedgerStore(db, committed),
    ...lifecycleReads(db),
    ...eventFeedSql(db, committed),
    ...feedEndSql(db),
    onEventsCommitted: (listener) => commits.on(listener),
    onEventsMissed: (listener) => commits.onMissed(listener),
    ...ticketTransferSql(db, { lockTimeoutMs: setup.lockTimeoutMs, vacuumAfterImport: setup.vacuumAfterImport }),
    ...clientsSql(db, clientCache),
    ...signingKeysSql(db),
    ...webhookEndpointsSql(db),
    ...webhookDispatchSql(db),

    async cacheClients(pool: Pool): Promise<void> {
      if (!pool.listen || subscribed) return
      subscribed = true
      unlisten = await pool.listen(CLIENT_CHANNEL, {
        onNotify: (clientId) => clientCache.evict(clientId),
        onSubscribed: () => clientCache.subscribed(),
        onLost: () => clientCache.lost(),
      })
    },

    async followEventCommits(pool: Pool): Promise<void> {
      if (!pool.listen || following) return
      following = true
      unfollow = await pool.listen(EVENTS_CHANNEL, {
        onNotify: (payload) => {
          const message = decodeCommits(payload)
          // Our own commits were heard in-process already.
          if (message && message.origin !== publisher.origin) commits.committed(message.providerIds)
        },
        // Whatever was sent while the subscription was down is lost: everyone looks again.
        onSubscribed: () => commits.missed(),
        onLost: () => {},
      })
    },

    async close(): Promise<void> {
      await publisher.close()
      await unfollow?.()
      await unlisten?.()
      await db.destroy()
      await setup.onClose()
    },
  }
}
