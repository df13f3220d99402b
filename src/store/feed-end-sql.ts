// The end of the events feed (see feed-end.ts): the last event below the fence, in feed order.
import { sql } from 'kysely'
import type { Db } from './database.js'
import { FENCE } from './feed-fence.js'
import type { FeedEndStore } from './feed-end.js'
import type { ProviderScope } from './provider-scope.js'

export function feedEndSql(db: Db): FeedEndStore {
  return {
    async feedEnd(scope: ProviderScope): Promise<string | undefined> {
      // A backward scan of the (provider_id, txid, id) index: one row, however long the feed.
      const { rows } = await sql<{ id: string }>`
        SELECT e.id FROM ticket_events e
        WHERE e.provider_id = ${scope.providerId}::uuid AND e.txid < ${FENCE}
        ORDER BY e.txid DESC, e.id DESC
        LIMIT 1
      `.execute(db)
      return rows[0]?.id
    },
  }
}
