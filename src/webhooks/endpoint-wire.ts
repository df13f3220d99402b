// Stored webhook records as the API shows them: one mapping per resource.
import type { WebhookDelivery, WebhookEndpoint } from '../contract/webhook-endpoint.js'
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from '../store/webhook-store.js'

export function toWireEndpoint(record: WebhookEndpointRecord, now: Date): WebhookEndpoint {
  const previous = record.previousSecret
  return {
    id: record.id,
    url: record.url,
    description: record.description,
    event_types: record.eventTypes,
    disabled: record.disabledReason !== null,
    disabled_reason: record.disabledReason,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    // An expired previous secret no longer signs: it is not worth mentioning.
    previous_secret_expires_at: previous && Date.parse(previous.expiresAt) > now.getTime() ? previous.expiresAt : null,
    delivery: {
      last_event_id: record.cursorEventId,
      retrying_event_id: record.attemptEventId,
      attempt: record.attempt,
      next_attempt_at: record.nextAttemptAt,
      failing_since: record.failingSince,
    },
  }
}

export function toWireDelivery(record: WebhookDeliveryRecord): WebhookDelivery {
  return {
    id: record.id,
    event_id: record.eventId,
    event_type: record.eventType,
    attempt: record.attempt,
    attempted_at: record.attemptedAt,
    response_status: record.responseStatus,
    duration_ms: record.durationMs,
    error: record.error,
    succeeded: record.succeeded,
    next_attempt_at: record.nextAttemptAt,
  }
}
