// Where the events feed ends right now: the position a live stream starts from when its client
// names none (see src/events/provider-tail.ts).
import type { ProviderScope } from './provider-scope.js'

export interface FeedEndStore {
  /**
   * The id of the provider's last event the feed can serve now (below the fence, see
   * event-feed-sql.ts), or undefined when it has none yet. Reading the feed after it returns
   * exactly the events that become visible later: none is skipped, none repeated.
   */
  feedEnd(scope: ProviderScope): Promise<string | undefined>
}
