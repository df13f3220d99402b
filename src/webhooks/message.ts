// What one delivery sends, as the Standard Webhooks specification shapes it: the body
// `{type, timestamp, data}` (data is the feed event, byte for byte as the feed serves it) and the
// headers webhook-id (the event id: the receiver's idempotency key, the same on every retry),
// webhook-timestamp (when this attempt was sent, unix seconds) and webhook-signature.
import type { WebhookEndpointRecord } from '../store/webhook-store.js'
import { readWebhookSecret, signWebhook } from './secrets.js'

export interface WebhookMessage {
  /** The event id. */
  id: string
  type: string
  /** When the event occurred (RFC 3339). */
  occurredAt: string
  /** The event as a JSON document. */
  data: string
}

/** The event fields a delivery needs, read from a feed document. */
export function messageOfFeedEvent(doc: string): WebhookMessage {
  const event = JSON.parse(doc) as { id?: unknown; type?: unknown; occurred_at?: unknown }
  if (typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.occurred_at !== 'string')
    throw new Error('a feed event without id, type or occurred_at')
  return { id: event.id, type: event.type, occurredAt: event.occurred_at, data: doc }
}

export function messageBody(message: WebhookMessage): string {
  return `{"type":${JSON.stringify(message.type)},"timestamp":${JSON.stringify(message.occurredAt)},"data":${message.data}}`
}

/** The secrets that sign now: the current one, and the previous one until it expires. */
export function signingSecrets(endpoint: WebhookEndpointRecord, now: Date, encryptionKey: Buffer | undefined): string[] {
  const secrets = [readWebhookSecret(endpoint.secret, endpoint.id, encryptionKey)]
  const previous = endpoint.previousSecret
  if (previous && Date.parse(previous.expiresAt) > now.getTime()) secrets.push(readWebhookSecret(previous, endpoint.id, encryptionKey))
  return secrets
}

export function messageHeaders(message: WebhookMessage, body: string, secrets: readonly string[], sentAt: Date): Record<string, string> {
  const timestamp = Math.floor(sentAt.getTime() / 1000)
  return {
    'content-type': 'application/json',
    'webhook-id': message.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secrets, message.id, timestamp, body),
  }
}
