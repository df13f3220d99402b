// Endpoint signing secrets and the Standard Webhooks signature.
// - A secret is `whsec_` + base64 of 32 random bytes; the HMAC key is those bytes.
// - At rest it is encrypted like the token signing keys when TICKETS_KEY_ENCRYPTION_KEY is set
//   (AES-256-GCM, the endpoint id as associated data, so a ciphertext cannot be moved to another
//   endpoint); otherwise it is stored as it is: the dispatcher must be able to sign with it.
// - webhook-signature is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret in
//   use, space-separated. node:crypto's native HMAC rather than the standardwebhooks package's
//   pure-JavaScript one: same bytes, and signing is on every delivery's path.
import { createHmac, randomBytes } from 'node:crypto'
import { decryptSecret, encryptSecret } from '../auth/key-encryption.js'
import type { StoredWebhookSecret } from '../store/webhook-store.js'

const PREFIX = 'whsec_'
const SECRET_BYTES = 32

/** A secret the server cannot use: encrypted without (or with another) TICKETS_KEY_ENCRYPTION_KEY. */
export class WebhookSecretError extends Error {
  override name = 'WebhookSecretError'
}

export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(SECRET_BYTES).toString('base64')
}

const associatedData = (endpointId: string) => `webhook-endpoint:${endpointId}`

export function storeWebhookSecret(secret: string, endpointId: string, encryptionKey: Buffer | undefined): StoredWebhookSecret {
  return encryptionKey
    ? { value: encryptSecret(encryptionKey, associatedData(endpointId), secret), encrypted: true }
    : { value: secret, encrypted: false }
}

export function readWebhookSecret(stored: StoredWebhookSecret, endpointId: string, encryptionKey: Buffer | undefined): string {
  if (!stored.encrypted) return stored.value
  if (!encryptionKey)
    throw new WebhookSecretError(`the secret of webhook endpoint ${endpointId} is stored encrypted: set TICKETS_KEY_ENCRYPTION_KEY`)
  try {
    return decryptSecret(encryptionKey, associatedData(endpointId), stored.value)
  } catch {
    throw new WebhookSecretError(`the secret of webhook endpoint ${endpointId} cannot be decrypted with TICKETS_KEY_ENCRYPTION_KEY`)
  }
}

/** The `webhook-signature` header value: one `v1,` signature per secret, in the order given. */
export function signWebhook(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  const signed = `${id}.${timestampSeconds}.${body}`
  return secrets
    .map(
      (secret) =>
        `v1,${createHmac('sha256', Buffer.from(secret.slice(PREFIX.length), 'base64'))
          .update(signed)
          .digest('base64')}`,
    )
    .join(' ')
}
