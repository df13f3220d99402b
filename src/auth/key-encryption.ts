// Signing-key secrets encrypted at rest (TICKETS_KEY_ENCRYPTION_KEY): AES-256-GCM with a random
// 12-byte IV per secret and the kid as associated data, so a ciphertext cannot be moved to
// another kid. Stored as "v1.<iv>.<ciphertext>.<tag>" (base64url), in the same text column.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const FORMAT = 'v1'

export function encryptSecret(encryptionKey: Buffer, kid: string, secret: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv)
  cipher.setAAD(Buffer.from(kid, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
  return [FORMAT, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.')
}

/** Throws when the stored text is not ours, or the key or kid does not match (the tag fails). */
export function decryptSecret(encryptionKey: Buffer, kid: string, stored: string): string {
  const [format, iv, ciphertext, tag, ...rest] = stored.split('.')
  if (format !== FORMAT || !iv || ciphertext === undefined || !tag || rest.length > 0) throw new Error('not an encrypted secret')
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url'))
  decipher.setAAD(Buffer.from(kid, 'utf8'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
}
