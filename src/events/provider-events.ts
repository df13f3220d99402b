// Events of a provider itself rather than of a ticket, ready for `store.appendProviderEvent`.
// The webhook dispatcher appends `webhook.endpoint.disabled` with this when it gives up on an
// endpoint, so the provider learns why from its feed.
import { buildEndpointDisabledEvent, ENDPOINT_DISABLED } from '../contract/event-feed.js'
import { wireTimestamp } from '../domain/lifecycle/events.js'
import { nextUlid } from '../domain/lifecycle/ulid.js'
import type { NewProviderEvent } from '../store/event-feed.js'

export function endpointDisabledEvent(
  providerId: string,
  endpoint: { id: string; url: string; disabled_reason: string },
  now: Date,
): NewProviderEvent {
  // No ordering among a provider's own ids is needed: the feed orders by commit (txid), then id.
  const id = nextUlid(now.getTime())
  const occurredAt = wireTimestamp(now)
  const doc = JSON.stringify(buildEndpointDisabledEvent({ id, occurredAt, endpoint }))
  return { id, providerId, type: ENDPOINT_DISABLED, occurredAt, doc }
}
