// What the HTTP API needs of the store, and nothing more: ticket reads (the per-state
// collections included), the lifecycle's transactions (PATCH included) and its reads, the
// events feed (and the commits that wake its long polls), API clients (token requests and
// bearer checks), webhook endpoints, and the readiness probe.
import type { ClientStore } from '../store/client-store.js'
import type { StoreHealth } from '../store/store-health.js'
import type { TicketReads } from '../store/ticket-reads.js'
import type { CancelReasonStore, OutsourceStore, TicketHistoryStore } from '../store/lifecycle-reads.js'
import type { LedgerStore } from '../store/ticket-ledger.js'
import type { StateViewStore } from '../store/state-views.js'
import type { EventFeedStore } from '../store/event-feed.js'
import type { WebhookEndpointStore } from '../store/webhook-store.js'
import type { FeedEndStore } from '../store/feed-end.js'

export type AppStore = TicketReads &
  StateViewStore &
  LedgerStore &
  CancelReasonStore &
  OutsourceStore &
  TicketHistoryStore &
  EventFeedStore &
  FeedEndStore &
  ClientStore &
  WebhookEndpointStore &
  StoreHealth
