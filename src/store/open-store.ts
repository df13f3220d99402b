// Opens the configured store: PostgreSQL when a database URL is set, otherwise the embedded
// PGlite database in the data directory. Both come back as the same composition (sql-store.ts).
import { createDb } from './database.js'
import { createPgPool } from './drivers/pg-pool.js'
import type { Pool } from './drivers/pool.js'
import { openEmbeddedPool } from './embedded/embedded-pool.js'
import { migrate } from './migrate.js'
import { createSqlStore, type SqlStore } from './sql-store.js'
import type { Store } from './store.js'

export interface StoreOptions {
  databaseUrl?: string | undefined
  dataDir: string
  /** Apply pending migrations before returning (the server and most CLI commands do). */
  migrate?: boolean
  /** Accept other processes on the embedded store (only the long-running server does). */
  serveEmbedded?: boolean
  /** Cache API clients in memory, kept exact by NOTIFY (the server does; one-shot commands need not). */
  cacheClients?: boolean
  role?: string
  poolSize?: number
  statementTimeoutMs?: number
  /** How long migrations and imports wait for a lock (default 10 s; tests shorten it). */
  lockTimeoutMs?: number
  /** Hear other processes' event commits through LISTEN (the server does, for long polls and webhooks). */
  followEventCommits?: boolean
  /** How long a cached API client is trusted (default 30 s; tests shorten it). */
  clientCacheTtlMs?: number
  /** How often the PostgreSQL LISTEN connection proves it is alive (default 15 s; tests shorten it). */
  listenHeartbeatMs?: number
  onPoolError?: (error: Error) => void
  /** Work out of any request's way failed: a NOTIFY of event commits, a commit listener. */
  onBackgroundError?: (error: Error) => void
  onWait?: (message: string) => void
}

export async function openStore(options: StoreOptions): Promise<Store> {
  let store: SqlStore
  let pool: Pool
  const storeOptions = {
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
    ...(options.clientCacheTtlMs !== undefined ? { clientCacheTtlMs: options.clientCacheTtlMs } : {}),
  }
  if (options.databaseUrl) {
    const pgPool = createPgPool({
      connectionString: options.databaseUrl,
      ...(options.poolSize !== undefined ? { max: options.poolSize } : {}),
      ...(options.statementTimeoutMs !== undefined ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
      ...(options.onPoolError ? { onError: options.onPoolError } : {}),
      ...(options.listenHeartbeatMs !== undefined ? { heartbeatMs: options.listenHeartbeatMs } : {}),
    })
    pool = pgPool
    store = createSqlStore('postgres', createDb(pool), {
      ...storeOptions,
      onClose: async () => {},
      vacuumAfterImport: false,
      poolStats: pgPool.stats ? () => pgPool.stats!() : undefined,
      onError: options.onBackgroundError,
    })
  } else {
    const embedded = await openEmbeddedPool(options.dataDir, {
      serve: options.serveEmbedded ?? false,
      role: options.role ?? 'tickets',
      ...(options.statementTimeoutMs !== undefined ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
      ...(options.onWait ? { onWait: options.onWait } : {}),
    })
    pool = embedded.pool
    store = createSqlStore('embedded', createDb(embedded.pool), {
      ...storeOptions,
      onClose: () => embedded.close(),
      vacuumAfterImport: true,
      onError: options.onBackgroundError,
    })
  }
  if (options.migrate ?? true) {
    try {
      await migrate(store.db, storeOptions)
    } catch (error) {
      await store.close().catch(() => undefined)
      throw error
    }
  }
  if (options.cacheClients) await store.cacheClients(pool)
  if (options.followEventCommits) await store.followEventCommits(pool)
  return store
}
