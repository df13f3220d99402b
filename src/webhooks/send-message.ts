// One signed message to one endpoint: the feed's deliveries and the test event alike.
import type { WebhookEndpointRecord } from '../store/webhook-store.js'
import { messageBody, messageHeaders, signingSecrets, type WebhookMessage } from './message.js'
import type { SendResult, WebhookSender } from './sender.js'

export interface SendContext {
  sender: WebhookSender
  clock: () => Date
  encryptionKey: Buffer | undefined
}

/** Signs and sends one message to the endpoint; a secret it cannot read is a failed attempt. */
export async function sendMessage(context: SendContext, endpoint: WebhookEndpointRecord, message: WebhookMessage): Promise<SendResult> {
  const now = context.clock()
  let secrets: string[]
  try {
    secrets = signingSecrets(endpoint, now, context.encryptionKey)
  } catch (error) {
    return { succeeded: false, status: null, durationMs: 0, error: `not sent: ${(error as Error).message}`, retryAfter: undefined }
  }
  const body = messageBody(message)
  return context.sender.send(endpoint.url, messageHeaders(message, body, secrets, now), body)
}
