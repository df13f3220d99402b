// The provider-wide event feed (GET /v2/system/events, its stream, webhook delivery): every
// event of a provider exactly once, in one order, even when writers commit out of order.
// Served by event-feed-sql.ts; why the order holds is explained there.
import type { ProviderScope } from './provider-scope.js'

/** Which events a reader wants, beyond its provider. Every member narrows; none means all. */
export interface FeedFilter {
  /** Exact event types (any of). Combined with `typePrefixes` by OR. */
  types?: readonly string[]
  /** Type prefixes such as `tickets.ticket.` (the `tickets.ticket.*` form), any of. */
  typePrefixes?: readonly string[]
  ticketId?: string
  /** Only events that occurred strictly after this instant (RFC 3339). */
  occurredAfter?: string
}

export interface FeedRead extends FeedFilter {
  /** Serve only events after this one in feed order; absent: from the oldest event kept. */
  afterId?: string
  limit: number
}

export type FeedPage =
  | {
      found: true
      /** The events as the API sends them (JSON documents), in feed order. */
      events: string[]
      /** The id of the last event served, to resume from; undefined when none was. */
      lastId: string | undefined
      /**
       * Whether committed events beyond this page exist that the feed may not serve yet, because
       * an older transaction is still running. A caught-up reader should look again shortly
       * rather than wait for the next commit (which may not come).
       */
      pending: boolean
    }
  /** `afterId` names no event of the provider (never was one, or the retention purge took it). */
  | { found: false }

export interface NewProviderEvent {
  id: string
  providerId: string
  type: string
  occurredAt: string
  doc: string
}

export interface EventFeedStore {
  readFeed(scope: ProviderScope, read: FeedRead): Promise<FeedPage>
  /** Appends an event that belongs to no ticket (e.g. `webhook.endpoint.disabled`). */
  appendProviderEvent(event: NewProviderEvent): Promise<void>
  /** Deletes events that occurred before `cutoff` (at most `limit` of them, when given); returns how many. */
  purgeEventsBefore(cutoff: Date, limit?: number): Promise<number>
  /**
   * Calls `listener` after every commit that wrote events, with the providers whose events it
   * wrote: this process's commits at once, other processes' once the server follows them
   * (followEventCommits). A hint to look again, never a list of what changed.
   */
  onEventsCommitted(listener: (providerIds: readonly string[]) => void): () => void
  /** Calls `listener` when other processes' commits may have gone unheard (a lost subscription is back). */
  onEventsMissed(listener: () => void): () => void
}
