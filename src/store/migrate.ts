// Applies pending migrations in order, each in its own transaction. An advisory lock makes
// concurrent starts (several server processes, or the CLI) apply each migration once.
import { sql } from 'kysely'
import type { Db } from './database.js'
import { LOCK_TIMEOUT_MS, limitLockWaits, waitingFor } from './lock-timeout.js'
import { MIGRATIONS } from './migrations/index.js'

const MIGRATION_LOCK = 7_212_734_001

export async function migrate(db: Db, options: { lockTimeoutMs?: number } = {}): Promise<number[]> {
  const lockTimeoutMs = options.lockTimeoutMs ?? LOCK_TIMEOUT_MS
  return db.transaction().execute(async (trx) => {
    // A migration rewrites whole tables; the serving statement timeout is not meant for it.
    await sql`SET LOCAL statement_timeout = 0`.execute(trx)
    // But waiting for a lock is bounded: another migrator or a long transaction is reported, not waited out.
    await limitLockWaits(trx, lockTimeoutMs)
    await waitingFor('the migration lock (another process is applying migrations)', lockTimeoutMs, () =>
      sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx),
    )
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`.execute(trx)
    const applied = new Set((await trx.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version))
    const newlyApplied: number[] = []
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue
      await waitingFor(
        `a lock on the tables of migration ${migration.version} (${migration.name}); another transaction holds it`,
        lockTimeoutMs,
        () => sql.raw(migration.up).execute(trx),
      )
      await trx.insertInto('schema_migrations').values({ version: migration.version, name: migration.name }).execute()
      newlyApplied.push(migration.version)
    }
    return newlyApplied
  })
}
