// Client identifiers and secrets. Secrets are stored only as salted scrypt hashes and
// compared in constant time; unknown clients still cost one hash, so timing reveals nothing.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const scrypt = (secret: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(secret, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
  )

// N=2^15 costs ~50 ms and 32 MiB per check: slow for a brute force, tolerable once per token.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const
const KEY_LENGTH = 32
const MAX_MEMORY = 64 * 1024 * 1024

export function generateClientId(): string {
  return `tc_${randomBytes(12).toString('hex')}`
}

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url')
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(secret, salt, KEY_LENGTH, { ...PARAMS, maxmem: MAX_MEMORY })
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, expected] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !expected) return false
  const expectedKey = Buffer.from(expected, 'base64url')
  const key = await scrypt(secret, Buffer.from(salt, 'base64url'), expectedKey.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAX_MEMORY,
  })
  return key.length === expectedKey.length && timingSafeEqual(key, expectedKey)
}

let dummyHash: Promise<string> | undefined
/** Burns the same time as a real check, for client ids that do not exist. */
export async function verifyAgainstDummy(secret: string): Promise<false> {
  dummyHash ??= hashSecret(generateClientSecret())
  await verifySecret(secret, await dummyHash)
  return false
}
