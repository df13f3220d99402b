// Token signing keys as stored: a resource of their own (see src/auth/signing-keys.ts for
// what they mean). The store never sees a key encryption key: an encrypted secret is opaque text.

export interface StoredSigningKey {
  kid: string
  /** As stored: the secret itself, or its ciphertext when `encrypted`. */
  secret: string
  encrypted: boolean
  createdAt: string
  /** null for the current signing key; otherwise when the key stops verifying tokens. */
  retiresAt: string | null
}

export interface NewSigningKey {
  kid: string
  secret: string
  encrypted: boolean
}

export interface SigningKeyStore {
  /**
   * Every stored key, newest first. When the store holds no key at all and `first` is given,
   * it is created first (whichever process inserts first wins; everyone reads the same keys).
   */
  listSigningKeys(first?: () => NewSigningKey): Promise<StoredSigningKey[]>
  /**
   * Atomically: the current key (if any) retires at `retiresAt`, `key` becomes the current
   * key, and keys already retired at `now` are deleted (their kids are returned).
   */
  rotateSigningKey(key: NewSigningKey, options: { now: Date; retiresAt: Date }): Promise<{ previous: string | undefined; pruned: string[] }>
}

export function isSigningKeyStore(store: object): store is SigningKeyStore {
  return typeof (store as Partial<SigningKeyStore>).listSigningKeys === 'function'
}
