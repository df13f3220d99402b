// The token signing keys a process knows, by kid. HS256 only; every token names its key in
// the JWT header (`kid`).
//
// - Store keys: the current key (one at a time) signs; a key rotated out keeps verifying
//   until its retires_at (one token lifetime plus a grace after the rotation), then is
//   refused, and the next rotation prunes it.
// - Legacy tokens: tokens issued before kids existed carry none and were signed with the one
//   key of that time, the store's 'primary' key (or the pinned TICKETS_SIGNING_SECRET). A
//   kid-less token is verified against that key only, while that key is accepted: the header
//   is signed too, so such a token is exactly as trustworthy as one naming the key. The first
//   rotation retires 'primary', and kid-less tokens end with it.
// - Other processes: an unknown kid triggers a reload from the store (at most one every
//   RELOAD_MIN_INTERVAL_MS; misses meanwhile wait for it, so forged kids cannot hammer the
//   database), and the keys are refreshed every REFRESH_MS, which is how a process starts
//   signing with a rotated-in key.
// - Pinned (TICKETS_SIGNING_SECRET): that one key, kid "pin-" + a hash of it; the store's
//   keys are not used.
import { createHash, randomBytes, webcrypto } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { NewSigningKey, SigningKeyStore, StoredSigningKey } from '../store/signing-key-store.js'
import { decryptSecret, encryptSecret } from './key-encryption.js'

/** The kid of the key every store had before rotation existed (migration 0001's era). */
export const LEGACY_KID = 'primary'
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
export const REFRESH_MS = 60_000
export const RELOAD_MIN_INTERVAL_MS = 1_000
/**
 * How long a rotated-out key keeps verifying: the token lifetime, plus the refresh interval
 * (a process may sign with it until it refreshes) and a margin for clock skew.
 */
export const RETIRE_GRACE_SECONDS = 300

/** A key that cannot be used as configured (encrypted without the key to decrypt it, …). */
export class SigningKeyError extends Error {
  override name = 'SigningKeyError'
}

export interface SigningKey {
  kid: string
  key: webcrypto.CryptoKey
}

interface LoadedKey extends SigningKey {
  /** ms since the epoch; null while current. */
  retiresAt: number | null
}

export interface KeyringOptions {
  /** Decrypts encrypted secrets, and encrypts the first key if the store has none. */
  encryptionKey?: Buffer | undefined
  refreshMs?: number
  reloadMinIntervalMs?: number
  /** A periodic refresh failed (the keys known so far stay in use). */
  onRefreshError?: (error: unknown) => void
}

export function pinnedKid(secret: string): string {
  return `pin-${createHash('sha256').update(`tickets-api signing key\0${secret}`).digest('base64url').slice(0, 16)}`
}

export function newKid(): string {
  return `k-${randomBytes(12).toString('base64url')}`
}

/** A fresh random key, encrypted when an encryption key is given. */
export function generateSigningKey(kid: string, encryptionKey?: Buffer): NewSigningKey {
  const secret = randomBytes(32).toString('base64url')
  return encryptionKey ? { kid, secret: encryptSecret(encryptionKey, kid, secret), encrypted: true } : { kid, secret, encrypted: false }
}

function importHmac(secret: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
}

function plaintextOf(row: StoredSigningKey, encryptionKey: Buffer | undefined): string {
  if (!row.encrypted) return row.secret
  if (!encryptionKey)
    throw new SigningKeyError(`signing key ${row.kid} is stored encrypted: set TICKETS_KEY_ENCRYPTION_KEY to the key it was encrypted with`)
  try {
    return decryptSecret(encryptionKey, row.kid, row.secret)
  } catch {
    throw new SigningKeyError(`signing key ${row.kid} cannot be decrypted with TICKETS_KEY_ENCRYPTION_KEY (a different key?)`)
  }
}

export class Keyring {
  #keys = new Map<string, LoadedKey>()
  #current!: LoadedKey
  #legacyKid: string | undefined
  #timer: NodeJS.Timeout | undefined
  // Kid-miss reloads: the one not yet started (misses join it), the one running, and when the last began.
  #pending: Promise<void> | undefined
  #running: Promise<void> = Promise.resolve()
  #lastReload = Number.NEGATIVE_INFINITY

  private constructor(
    private readonly store: SigningKeyStore | undefined,
    private readonly options: KeyringOptions,
  ) {}

  /** One fixed key (TICKETS_SIGNING_SECRET): it signs, and verifies kid-less tokens too. */
  static async pinned(secret: string): Promise<Keyring> {
    const keyring = new Keyring(undefined, {})
    const key: LoadedKey = { kid: pinnedKid(secret), key: await importHmac(secret), retiresAt: null }
    keyring.#keys.set(key.kid, key)
    keyring.#current = key
    keyring.#legacyKid = key.kid
    return keyring
  }

  /** The store's keys (creating the first one on an empty store), refreshed periodically. */
  static async fromStore(store: SigningKeyStore, options: KeyringOptions = {}): Promise<Keyring> {
    const keyring = new Keyring(store, options)
    await keyring.#load()
    keyring.#timer = setInterval(() => {
      keyring.#reloadSoon().catch((error: unknown) => options.onRefreshError?.(error))
    }, options.refreshMs ?? REFRESH_MS)
    keyring.#timer.unref()
    return keyring
  }

  /** The key new tokens are signed with. */
  get current(): SigningKey {
    return this.#current
  }

  /** Whether a token signed with `kid` may still be accepted at `now` (no store access). */
  accepts(kid: string, now: Date): boolean {
    const key = this.#keys.get(kid)
    return key !== undefined && (key.retiresAt === null || now.getTime() < key.retiresAt)
  }

  /** Whether a kid-less token may still be accepted at `now`. */
  legacyAccepted(now: Date): boolean {
    return this.#legacyKid !== undefined && this.accepts(this.#legacyKid, now)
  }

  /**
   * The key to verify a token naming `kid` (undefined: a kid-less legacy token), or undefined
   * when there is none or it has retired. An unknown kid reloads the keys first (rate-limited).
   */
  async verificationKey(kid: string | undefined, now: Date): Promise<SigningKey | undefined> {
    if (kid === undefined) return this.legacyAccepted(now) ? this.#keys.get(this.#legacyKid!) : undefined
    if (!KID_PATTERN.test(kid)) return undefined
    if (!this.#keys.has(kid) && this.store) await this.#reloadSoon()
    return this.accepts(kid, now) ? this.#keys.get(kid) : undefined
  }

  close(): void {
    clearInterval(this.#timer)
  }

  /** Joins the next reload, which starts after the running one and RELOAD_MIN_INTERVAL_MS after the last. */
  #reloadSoon(): Promise<void> {
    this.#pending ??= (async () => {
      await this.#running.catch(() => undefined)
      const wait = this.#lastReload + (this.options.reloadMinIntervalMs ?? RELOAD_MIN_INTERVAL_MS) - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      this.#pending = undefined
      await this.#load()
    })()
    return this.#pending
  }

  #load(): Promise<void> {
    const load = this.#loadNow()
    this.#running = load
    return load
  }

  /**
   * Reads every key. At start (the first load) a key that cannot be decrypted is an error;
   * later, it is skipped and reported, so that a process missing TICKETS_KEY_ENCRYPTION_KEY
   * keeps verifying the keys it can read and signing with the last current key it knew.
   */
  async #loadNow(): Promise<void> {
    this.#lastReload = performance.now()
    const starting = this.#keys.size === 0
    const encryptionKey = this.options.encryptionKey
    const rows = await this.store!.listSigningKeys(() => generateSigningKey(LEGACY_KID, encryptionKey))
    const keys = new Map<string, LoadedKey>()
    let current: LoadedKey | undefined
    for (const row of rows) {
      // A kid's secret never changes: keep the imported key, take the new retirement.
      let key = this.#keys.get(row.kid)?.key
      if (!key) {
        try {
          key = await importHmac(plaintextOf(row, encryptionKey))
        } catch (error) {
          if (starting || !(error instanceof SigningKeyError)) throw error
          this.options.onRefreshError?.(error)
          continue
        }
      }
      const loaded: LoadedKey = { kid: row.kid, key, retiresAt: row.retiresAt === null ? null : Date.parse(row.retiresAt) }
      keys.set(row.kid, loaded)
      if (row.retiresAt === null) current ??= loaded
    }
    if (!current && starting) throw new SigningKeyError('the store has no current signing key (run tickets keys rotate)')
    this.#keys = keys
    this.#current = current ?? keys.get(this.#current.kid) ?? this.#current
    this.#legacyKid = keys.has(LEGACY_KID) ? LEGACY_KID : undefined
  }
}

/**
 * What `tickets keys rotate` does: a new current key; the previous one retires after a token
 * lifetime and a grace, or at once with `retirePreviousNow` (a leaked key: its tokens are
 * refused by each process from its next refresh).
 */
export async function rotateSigningKeys(
  store: SigningKeyStore,
  options: { now: Date; tokenTtlSeconds: number; encryptionKey?: Buffer | undefined; retirePreviousNow?: boolean },
): Promise<{ kid: string; encrypted: boolean; previous: string | undefined; retiresAt: Date; pruned: string[] }> {
  const key = generateSigningKey(newKid(), options.encryptionKey)
  const retiresAt = options.retirePreviousNow
    ? options.now
    : new Date(options.now.getTime() + (options.tokenTtlSeconds + RETIRE_GRACE_SECONDS) * 1000)
  const { previous, pruned } = await store.rotateSigningKey(key, { now: options.now, retiresAt })
  return { kid: key.kid, encrypted: key.encrypted, previous, retiresAt, pruned }
}

export type KeyState = 'current' | 'verifying' | 'retired'

export function keyState(key: StoredSigningKey, now: Date): KeyState {
  if (key.retiresAt === null) return 'current'
  return now.getTime() < Date.parse(key.retiresAt) ? 'verifying' : 'retired'
}
