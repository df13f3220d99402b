// Webhook endpoints as stored: the provider's management of them (WebhookEndpointStore) and
// the dispatcher's claims and outcomes (WebhookDeliveryStore). Served by webhook-endpoints-sql.ts
// and webhook-dispatch-sql.ts. The store never sees a key encryption key: secrets are opaque.
import type { NewProviderEvent } from './event-feed.js'
import type { Page } from './lifecycle-reads.js'
import type { ProviderScope } from './provider-scope.js'

export interface StoredWebhookSecret {
  /** As stored: the `whsec_…` secret itself, or its ciphertext when `encrypted`. */
  value: string
  encrypted: boolean
}

export interface WebhookEndpointRecord {
  id: string
  providerId: string
  url: string
  description: string
  eventTypes: string[]
  secret: StoredWebhookSecret
  /** The secret before the last rotation, while it still signs alongside. */
  previousSecret: (StoredWebhookSecret & { expiresAt: string }) | null
  disabledReason: string | null
  createdAt: string
  updatedAt: string
  cursorEventId: string | null
  attemptEventId: string | null
  attempt: number
  nextAttemptAt: string | null
  failingSince: string | null
  stateVersion: number
}

export interface NewWebhookEndpointRecord {
  id: string
  providerId: string
  url: string
  description: string
  eventTypes: string[]
  secret: StoredWebhookSecret
  now: Date
}

export interface WebhookEndpointChange {
  url?: string
  description?: string
  eventTypes?: string[]
  /** A reason disables; null enables (positioned at the feed's end); absent leaves it. */
  disabledReason?: string | null
  now: Date
}

export interface WebhookDeliveryRecord {
  id: string
  endpointId: string
  eventId: string
  eventType: string
  attempt: number
  attemptedAt: string
  responseStatus: number | null
  durationMs: number
  error: string | null
  succeeded: boolean
  nextAttemptAt: string | null
}

export type NewWebhookDelivery = Omit<WebhookDeliveryRecord, 'id'>

export interface WebhookEndpointStore {
  /** Creates the endpoint at the feed's current end (it receives events from now on); refuses beyond `maxPerProvider`. */
  createWebhookEndpoint(endpoint: NewWebhookEndpointRecord, maxPerProvider: number): Promise<WebhookEndpointRecord | 'limit-reached'>
  listWebhookEndpoints(scope: ProviderScope, page: Page): Promise<{ result: WebhookEndpointRecord[]; total: number }>
  getWebhookEndpoint(scope: ProviderScope, id: string): Promise<WebhookEndpointRecord | undefined>
  updateWebhookEndpoint(scope: ProviderScope, id: string, change: WebhookEndpointChange): Promise<WebhookEndpointRecord | undefined>
  deleteWebhookEndpoint(scope: ProviderScope, id: string): Promise<boolean>
  /** The current secret becomes the previous one (signing until `previousExpiresAt`); `secret` becomes current. */
  rotateWebhookSecret(
    scope: ProviderScope,
    id: string,
    rotation: { secret: StoredWebhookSecret; previousExpiresAt: Date; now: Date },
  ): Promise<WebhookEndpointRecord | undefined>
  /**
   * Moves the cursor back to just before the first event (in feed order) that occurred at or
   * after `since`, unless it is already there or before; the endpoint is due at once.
   */
  recoverWebhookEndpoint(scope: ProviderScope, id: string, since: string): Promise<WebhookEndpointRecord | undefined>
  listWebhookDeliveries(
    scope: ProviderScope,
    id: string,
    query: Page & { eventId?: string },
  ): Promise<{ result: WebhookDeliveryRecord[]; total: number } | undefined>
  /** Logs an attempt made outside the dispatcher (the test event). */
  logWebhookDelivery(delivery: NewWebhookDelivery): Promise<WebhookDeliveryRecord | undefined>
}

/** A claimed endpoint: the lease names the claim, so a lost lease turns every later write into a no-op. */
export interface WebhookLease {
  endpointId: string
  token: string
  stateVersion: number
}

export interface ClaimedWebhookEndpoint {
  endpoint: WebhookEndpointRecord
  lease: WebhookLease
}

/** What an attempt leaves behind. `position` is the cursor after it (events passed over included). */
export type AttemptOutcome =
  /** A run of successful deliveries, recorded at once; `position` is the last one's event (or past it). */
  | { kind: 'delivered'; position: string; deliveries: readonly NewWebhookDelivery[] }
  | { kind: 'failed'; position: string | null; delivery: NewWebhookDelivery & { nextAttemptAt: string } }
  /** The attempt disables the endpoint: `event` (webhook.endpoint.disabled) is appended to the provider's feed with it. */
  | { kind: 'disabled'; position: string | null; delivery: NewWebhookDelivery; reason: string; event: NewProviderEvent }

export interface WebhookDeliveryStore {
  /** Leases up to `limit` enabled endpoints that are due: a retry whose time has come, or events past the cursor. */
  claimWebhookEndpoints(claim: { owner: string; now: Date; leaseMs: number; limit: number }): Promise<ClaimedWebhookEndpoint[]>
  /**
   * In one transaction: logs the attempt and moves the state on (a failure or a disabling also
   * ends the claim; a delivery renews it until `renewUntil`). False when the lease was lost or
   * the state was changed meanwhile (recover, a new URL): then only the attempt is logged. False
   * also after a delivery to an endpoint the provider disabled meanwhile (its cursor moved on):
   * the turn must end there.
   */
  recordWebhookAttempt(lease: WebhookLease, outcome: AttemptOutcome, renewUntil: Date): Promise<boolean>
  /**
   * Whether the claim still holds, the state is as the claim saw it and the endpoint is enabled:
   * a read, no write, so that a run of deliveries can stop at once when the provider disables or
   * re-points the endpoint without paying a transaction per delivery.
   */
  isWebhookLeaseCurrent(lease: WebhookLease): Promise<boolean>
  /** Ends the claim, leaving the cursor at `position` (events passed over) unless the state changed meanwhile. */
  releaseWebhookEndpoint(lease: WebhookLease, position: string | null, now: Date): Promise<void>
  /**
   * The cursor's event is gone (the retention purge): moves the cursor to the newest event at or
   * before its old position (or the start, when none is left), and ends the claim.
   */
  repositionWebhookCursor(lease: WebhookLease, now: Date): Promise<void>
  /** Deletes logged attempts older than `before`; returns how many. */
  pruneWebhookDeliveries(before: Date): Promise<number>
}
