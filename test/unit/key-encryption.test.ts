// Signing-key secrets at rest: AES-256-GCM, a fresh IV each time, bound to their kid.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decryptSecret, encryptSecret } from '../../src/auth/key-encryption.js'

const KEK = randomBytes(32)
const SECRET = 'a-signing-secret-of-forty-three-characters!'

describe('signing-key encryption', () => {
  it('round-trips a secret without revealing it', () => {
    const stored = encryptSecret(KEK, 'k-1', SECRET)
    expect(stored).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(stored).not.toContain(SECRET)
    expect(stored).not.toContain(Buffer.from(SECRET).toString('base64url'))
    expect(decryptSecret(KEK, 'k-1', stored)).toBe(SECRET)
  })

  it('uses a fresh IV for every encryption', () => {
    expect(encryptSecret(KEK, 'k-1', SECRET)).not.toBe(encryptSecret(KEK, 'k-1', SECRET))
  })

  it('refuses another key, another kid (associated data) and a tampered ciphertext', () => {
    const stored = encryptSecret(KEK, 'k-1', SECRET)
    expect(() => decryptSecret(randomBytes(32), 'k-1', stored)).toThrow()
    expect(() => decryptSecret(KEK, 'k-2', stored)).toThrow()
    const [v, iv, ciphertext, tag] = stored.split('.') as [string, string, string, string]
    const flipped = `${ciphertext.at(0) === 'A' ? 'B' : 'A'}${ciphertext.slice(1)}`
    expect(() => decryptSecret(KEK, 'k-1', [v, iv, flipped, tag].join('.'))).toThrow()
    expect(() => decryptSecret(KEK, 'k-1', SECRET)).toThrow('not an encrypted secret')
  })
})
