// What route handlers and hooks share: the store and the services buildApp wires around it.
// Kept apart from app.ts so that routes can name it without importing the app that imports them.
import type { TokenService } from '../auth/tokens.js'
import type { EventHub } from '../events/event-hub.js'
import type { StreamSettings } from '../events/stream-settings.js'
import type { StreamTails } from '../events/stream-tails.js'
import type { ClientStreams } from '../limits/client-streams.js'
import type { ClientConcurrency } from '../limits/client-concurrency.js'
import type { WebhookManagement } from '../webhooks/endpoints.js'
import type { AppStore } from './app-store.js'
import type { Lifecycle } from './lifecycle.js'
import type { RateLimits } from './rate-limits.js'

export interface AppContext {
  store: AppStore
  tokens: TokenService
  clock: () => Date
  rateLimits: RateLimits
  concurrency: ClientConcurrency
  lifecycle: Lifecycle
  /** Wakes long polls on commits of their provider. */
  hub: EventHub
  /** Aborted when the app closes: long polls answer what they have at once. */
  stopping: AbortSignal
  /** TICKETS_EVENT_RETENTION_DAYS: an after_id older than this is 410 events-expired. */
  eventRetentionDays: number
  webhooks: WebhookManagement
  /** The providers' shared tails that live streams (SSE and websocket) follow. */
  tails: StreamTails
  /** Live streams open per API client. */
  streams: ClientStreams
  streamSettings: StreamSettings
}
