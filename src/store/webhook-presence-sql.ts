// Whether the store holds any webhook endpoint at all, enabled or not (a disabled one still has
// a delivery log to prune). The server starts its webhook delivery thread only once one does
// (src/webhooks/dispatcher-thread.ts): a thread with nothing to deliver would cost an isolate.
import type { Db } from './database.js'

export async function webhookEndpointsExist(db: Db): Promise<boolean> {
  const row = await db.selectFrom('webhook_endpoints').select('id').limit(1).executeTakeFirst()
  return row !== undefined
}
