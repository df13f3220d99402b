// StoreHealth over Kysely: the cheapest query that proves the database answers.
import { sql } from 'kysely'
import type { Db } from './database.js'
import type { StoreHealth, StoreKind } from './store-health.js'

export function storeHealthSql(kind: StoreKind, db: Db): StoreHealth {
  return {
    kind,
    async ping(): Promise<void> {
      await sql`SELECT 1`.execute(db)
    },
  }
}
