// Waiting until the feed serves everything committed so far. On PostgreSQL the feed's fence is
// the cluster's oldest running transaction, in any database: another suite (or any writer on
// the same server) can hold committed events back for a moment, which a reader without `wait`
// would see as a short page.
import { expect } from 'vitest'
import type { EventFeedStore } from '../../src/store/event-feed.js'

export async function settleFeed(
  store: Pick<EventFeedStore, 'readFeed'>,
  providerIds: readonly string[],
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (const providerId of providerIds)
    for (;;) {
      const page = await store.readFeed({ providerId }, { limit: 0 })
      if (page.found && !page.pending) break
      expect(Date.now(), `events of ${providerId} still held back after ${timeoutMs} ms`).toBeLessThan(deadline)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
}
