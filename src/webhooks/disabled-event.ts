// The webhook.endpoint.disabled event: how a provider learns, from its own feed (and its other
// endpoints), that the platform stopped delivering to one of its endpoints, and why.
import { ENDPOINT_DISABLED_EVENT_TYPE } from '../contract/webhook-endpoint.js'
import { nextUlid } from '../domain/lifecycle/ulid.js'
import type { NewProviderEvent } from '../store/event-feed.js'

export function endpointDisabledEvent(
  endpoint: { id: string; providerId: string; url: string },
  reason: string,
  now: Date,
): NewProviderEvent {
  const id = nextUlid(now.getTime())
  const occurredAt = now.toISOString()
  const doc = {
    id,
    type: ENDPOINT_DISABLED_EVENT_TYPE,
    occurred_at: occurredAt,
    payload: { endpoint: { id: endpoint.id, url: endpoint.url, disabled_reason: reason } },
    actor: { type: 'system' },
    changes: {},
  }
  return { id, providerId: endpoint.providerId, type: ENDPOINT_DISABLED_EVENT_TYPE, occurredAt, doc: JSON.stringify(doc) }
}
