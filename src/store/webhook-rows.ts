// Rows of webhook_endpoints and webhook_deliveries as records, and the feed positions both
// webhook SQL modules compute (a position is an event's (txid, id) in the provider's feed).
import { sql, type RawBuilder, type Selectable } from 'kysely'
import type { WebhookDeliveriesTable, WebhookEndpointsTable } from './database.js'
import { FENCE } from './feed-fence.js'
import { timestampToRfc3339 } from './ticket-row.js'
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from './webhook-store.js'

/** The columns a record needs (never the lease, nor cursor_txid, which only SQL compares). */
export const ENDPOINT_COLUMNS = [
  'id',
  'provider_id',
  'url',
  'description',
  'event_types',
  'secret',
  'secret_encrypted',
  'previous_secret',
  'previous_secret_encrypted',
  'previous_secret_expires_at',
  'disabled_reason',
  'created_at',
  'updated_at',
  'cursor_event_id',
  'attempt_event_id',
  'attempt',
  'next_attempt_at',
  'failing_since',
  'state_version',
] as const

export type EndpointRow = Pick<Selectable<WebhookEndpointsTable>, (typeof ENDPOINT_COLUMNS)[number]>

const nullableTimestamp = (value: string | null) => (value === null ? null : timestampToRfc3339(value))

export function rowToEndpoint(row: EndpointRow): WebhookEndpointRecord {
  return {
    id: row.id,
    providerId: row.provider_id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    secret: { value: row.secret, encrypted: row.secret_encrypted },
    previousSecret:
      row.previous_secret === null || row.previous_secret_expires_at === null
        ? null
        : {
            value: row.previous_secret,
            encrypted: row.previous_secret_encrypted === true,
            expiresAt: timestampToRfc3339(row.previous_secret_expires_at),
          },
    disabledReason: row.disabled_reason,
    createdAt: timestampToRfc3339(row.created_at),
    updatedAt: timestampToRfc3339(row.updated_at),
    cursorEventId: row.cursor_event_id,
    attemptEventId: row.attempt_event_id,
    attempt: row.attempt,
    nextAttemptAt: nullableTimestamp(row.next_attempt_at),
    failingSince: nullableTimestamp(row.failing_since),
    stateVersion: row.state_version,
  }
}

export function rowToDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDeliveryRecord {
  return {
    id: String(row.id),
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    attempt: row.attempt,
    attemptedAt: timestampToRfc3339(row.attempted_at),
    responseStatus: row.response_status,
    durationMs: row.duration_ms,
    error: row.error,
    succeeded: row.succeeded,
    nextAttemptAt: nullableTimestamp(row.next_attempt_at),
  }
}

/** The provider's newest event below the fence, as (id, txid): where a new or re-enabled endpoint starts. */
export function feedEnd(providerId: RawBuilder<unknown> | string): RawBuilder<{ id: string; txid: string }> {
  return sql`(SELECT e.id, e.txid FROM ticket_events e
    WHERE e.provider_id = ${providerId}::uuid AND e.txid < ${FENCE}
    ORDER BY e.txid DESC, e.id DESC LIMIT 1)`
}
