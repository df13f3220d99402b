// Client identifiers and secrets. A secret is stored only as a salted HMAC-SHA256 and compared
// in constant time.
//
// Why not a slow password hash: our secrets are 256 random bits that we generate, never
// something a person chose. Guessing one takes 2^255 tries on average whatever each try costs,
// so a slow hash adds nothing against a stolen database, while on the token endpoint it is a
// lever for anyone: scrypt cost ~50 ms and 32 MiB per request on libuv's four threads, and a
// burst of made-up client ids made a real client wait 27–52 s for its token. A keyed hash
// costs microseconds. Hashes written by earlier versions (scrypt) still verify, at most
// LEGACY_CHECKS_AT_ONCE at a time, and are replaced by the new form after the first success.
import { createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { AppError } from '../errors/app-error.js'
import { ConcurrencyLimit } from '../limits/concurrency-limit.js'

const scrypt = (secret: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(secret, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
  )

const SCHEME = 'hmac-sha256'
const LEGACY_SCHEME = 'scrypt'
const MAX_SCRYPT_MEMORY = 64 * 1024 * 1024

/** Two of libuv's four threads at most, so file and DNS work never waits behind scrypt. */
const LEGACY_CHECKS_AT_ONCE = 2
/** Beyond this many waiting, a legacy check is refused at once (503) rather than queued. */
const LEGACY_CHECKS_QUEUED = 32
const legacyChecks = new ConcurrencyLimit(LEGACY_CHECKS_AT_ONCE, LEGACY_CHECKS_QUEUED)

export function generateClientId(): string {
  return `tc_${randomBytes(12).toString('hex')}`
}

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url')
}

const mac = (secret: string, salt: Buffer) => createHmac('sha256', salt).update(secret, 'utf8').digest()

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  return [SCHEME, salt.toString('base64url'), mac(secret, salt).toString('base64url')].join('$')
}

/** A hash in an older form, to be replaced by hashSecret's after the next successful check. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(`${SCHEME}$`)
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts[0] === SCHEME && parts.length === 3) {
    const expected = Buffer.from(parts[2]!, 'base64url')
    const actual = mac(secret, Buffer.from(parts[1]!, 'base64url'))
    return actual.length === expected.length && timingSafeEqual(actual, expected)
  }
  if (parts[0] === LEGACY_SCHEME && parts.length === 6) return verifyScrypt(secret, parts)
  return false
}

async function verifyScrypt(secret: string, [, n, r, p, salt, expected]: string[]): Promise<boolean> {
  const expectedKey = Buffer.from(expected!, 'base64url')
  const key = await legacyChecks.run(
    () =>
      scrypt(secret, Buffer.from(salt!, 'base64url'), expectedKey.length, {
        N: Number(n),
        r: Number(r),
        p: Number(p),
        maxmem: MAX_SCRYPT_MEMORY,
      }),
    () =>
      new AppError('server-busy', 'Too many token requests are being checked right now; try again in a second.', {
        headers: { 'retry-after': '1' },
        members: { error: 'temporarily_unavailable' },
      }),
  )
  return key.length === expectedKey.length && timingSafeEqual(key, expectedKey)
}

const DUMMY_HASH = hashSecret(generateClientSecret())
/** Costs what a real check costs, for client ids that do not exist. */
export async function verifyAgainstDummy(secret: string): Promise<false> {
  await verifySecret(secret, await DUMMY_HASH)
  return false
}

/** The scrypt form earlier versions wrote; kept so tests can prove such hashes still verify. */
export async function legacyScryptHash(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const params = { N: 2 ** 15, r: 8, p: 1 }
  const key = await scrypt(secret, salt, 32, { ...params, maxmem: MAX_SCRYPT_MEMORY })
  return [LEGACY_SCHEME, params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}
