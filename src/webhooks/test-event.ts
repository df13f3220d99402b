// POST …/{id}/test: a webhook.test event sent to the endpoint now, outside the feed and its
// order (it waits for nothing and nothing waits for it), signed like every delivery, sent even
// to a disabled endpoint (to check a fix before enabling it again), logged with the deliveries
// and not retried: the answer is the attempt's outcome.
import type { Actor } from '../contract/ticket-event.js'
import { TEST_EVENT_TYPE, type WebhookDelivery } from '../contract/webhook-endpoint.js'
import { nextUlid } from '../domain/lifecycle/ulid.js'
import type { ProviderScope } from '../store/provider-scope.js'
import { sendMessage } from './send-message.js'
import { toWireDelivery } from './endpoint-wire.js'
import { endpointNotFound, type WebhookManagement } from './endpoints.js'
import type { WebhookMessage } from './message.js'

export async function sendTestEvent(m: WebhookManagement, scope: ProviderScope, id: string, actor: Actor): Promise<WebhookDelivery> {
  const endpoint = await m.store.getWebhookEndpoint(scope, id)
  if (!endpoint) throw endpointNotFound(id)
  const now = m.clock()
  const eventId = nextUlid(now.getTime())
  const occurredAt = now.toISOString()
  const message: WebhookMessage = {
    id: eventId,
    type: TEST_EVENT_TYPE,
    occurredAt,
    data: JSON.stringify({
      id: eventId,
      type: TEST_EVENT_TYPE,
      occurred_at: occurredAt,
      payload: { endpoint: { id: endpoint.id, url: endpoint.url } },
      actor,
      changes: {},
    }),
  }
  const result = await sendMessage({ sender: m.sender, clock: m.clock, encryptionKey: m.encryptionKey }, endpoint, message)
  const logged = await m.store.logWebhookDelivery({
    endpointId: endpoint.id,
    eventId,
    eventType: TEST_EVENT_TYPE,
    attempt: 1,
    attemptedAt: occurredAt,
    responseStatus: result.status,
    durationMs: result.durationMs,
    error: result.error,
    succeeded: result.succeeded,
    nextAttemptAt: null,
  })
  // Deleted while the test ran.
  if (!logged) throw endpointNotFound(id)
  return toWireDelivery(logged)
}
