// Signing keys on both stores: the first key, rotation and pruning, pick-up by other
// processes (by kid on demand, the signing key on refresh), reloads bounded against forged
// kids, and secrets encrypted at rest.
import { randomBytes } from 'node:crypto'
import { jwtVerify } from 'jose'
import { expect, it } from 'vitest'
import { Keyring, keyState, rotateSigningKeys, SigningKeyError } from '../../src/auth/signing-keys.js'
import { TokenService } from '../../src/auth/tokens.js'
import type { SigningKeyStore } from '../../src/store/signing-key-store.js'
import { describeEachStore } from '../support/stores.js'

const TTL = 3600
const CLAIMS = { clientId: 'tc_keys', providerId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', scopes: ['tickets:read' as const] }
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>

describeEachStore('signing keys', (ctx) => {
  it('creates the legacy primary key once, however many processes start at the same time', async () => {
    const keyrings = await Promise.all([Keyring.fromStore(ctx.store), Keyring.fromStore(ctx.store), Keyring.fromStore(ctx.store)])
    expect(keyrings.map((k) => k.current.kid)).toEqual(['primary', 'primary', 'primary'])
    expect(await ctx.store.listSigningKeys()).toEqual([
      { kid: 'primary', secret: expect.any(String), encrypted: false, createdAt: expect.any(String), retiresAt: null },
    ])
    for (const keyring of keyrings) keyring.close()
  })

  it('lets other processes pick up a rotation: unknown kids on demand, the signing key on refresh', async () => {
    const quick = await Keyring.fromStore(ctx.store, { refreshMs: 50 })
    const slow = await Keyring.fromStore(ctx.store)
    try {
      const before = slow.current.kid
      const now = new Date()
      const rotated = await rotateSigningKeys(ctx.store, { now, tokenTtlSeconds: TTL })
      expect(rotated).toMatchObject({ previous: before, encrypted: false, pruned: [] })
      expect(slow.current.kid).toBe(before)
      expect((await slow.verificationKey(rotated.kid, now))?.kid).toBe(rotated.kid)
      expect(slow.current.kid).toBe(rotated.kid)
      expect((await slow.verificationKey(before, now))?.kid).toBe(before)
      await expect.poll(() => quick.current.kid).toBe(rotated.kid)
      // Compared as instants: the store writes RFC 3339 with trailing fractional zeros trimmed.
      const states = (await ctx.store.listSigningKeys()).map((key) => [
        key.kid,
        keyState(key, now),
        key.retiresAt && Date.parse(key.retiresAt),
      ])
      expect(states).toEqual([
        [rotated.kid, 'current', null],
        [before, 'verifying', now.getTime() + (TTL + 300) * 1000],
      ])
    } finally {
      quick.close()
      slow.close()
    }
  })

  it('refuses a retired key, and prunes it at the next rotation', async () => {
    const keyring = await Keyring.fromStore(ctx.store)
    try {
      const kids = (await ctx.store.listSigningKeys()).map((key) => key.kid)
      const retiring = kids[1]!
      const retiresAt = Date.parse((await ctx.store.listSigningKeys())[1]!.retiresAt!)
      expect(await keyring.verificationKey(retiring, new Date(retiresAt - 1))).toBeDefined()
      expect(await keyring.verificationKey(retiring, new Date(retiresAt))).toBeUndefined()
      const later = new Date(retiresAt + 1000)
      const rotated = await rotateSigningKeys(ctx.store, { now: later, tokenTtlSeconds: TTL })
      expect(rotated).toMatchObject({ previous: kids[0], pruned: [retiring] })
      expect((await ctx.store.listSigningKeys()).map((key) => key.kid)).toEqual([rotated.kid, kids[0]])
    } finally {
      keyring.close()
    }
  })

  it('reloads once for a burst of unknown kids, and never for a kid that cannot be one', async () => {
    let loads = 0
    const counting: SigningKeyStore = {
      listSigningKeys: (first) => {
        loads++
        return ctx.store.listSigningKeys(first)
      },
      rotateSigningKey: (key, options) => ctx.store.rotateSigningKey(key, options),
    }
    const keyring = await Keyring.fromStore(counting, { reloadMinIntervalMs: 200 })
    try {
      expect(loads).toBe(1)
      const found = await Promise.all(Array.from({ length: 100 }, (_, i) => keyring.verificationKey(`forged-${i}`, new Date())))
      expect(found.every((key) => key === undefined)).toBe(true)
      expect(loads).toBe(2)
      for (const kid of ['', 'a.b', 'x'.repeat(65), '../primary']) expect(await keyring.verificationKey(kid, new Date())).toBeUndefined()
      expect(loads).toBe(2)
    } finally {
      keyring.close()
    }
  })

  it('stores a key encrypted when given the encryption key; plaintext keys keep working; without it, a clear error', async () => {
    const kek = randomBytes(32)
    const plaintextKid = (await ctx.store.listSigningKeys()).find((key) => key.retiresAt === null)!.kid
    const rotated = await rotateSigningKeys(ctx.store, { now: new Date(), tokenTtlSeconds: TTL, encryptionKey: kek })
    expect(rotated.encrypted).toBe(true)
    const row = (await ctx.store.listSigningKeys()).find((key) => key.kid === rotated.kid)!
    expect(row).toMatchObject({ encrypted: true, secret: expect.stringMatching(/^v1\./) })

    const keyring = await Keyring.fromStore(ctx.store, { encryptionKey: kek })
    try {
      expect(keyring.current.kid).toBe(rotated.kid)
      expect(await keyring.verificationKey(plaintextKid, new Date())).toBeDefined()
      const tokens = new TokenService(keyring, () => new Date())
      const { accessToken } = await tokens.issue(CLAIMS)
      expect(headerOf(accessToken)).toEqual({ alg: 'HS256', typ: 'JWT', kid: rotated.kid })
      expect(await tokens.verify(accessToken)).toEqual(CLAIMS)
      // What the database holds does not sign this key's tokens.
      await expect(jwtVerify(accessToken, new TextEncoder().encode(row.secret))).rejects.toThrow()
    } finally {
      keyring.close()
    }

    const missing = Keyring.fromStore(ctx.store)
    await expect(missing).rejects.toThrow(SigningKeyError)
    await expect(missing).rejects.toThrow(`signing key ${rotated.kid} is stored encrypted: set TICKETS_KEY_ENCRYPTION_KEY`)
    await expect(Keyring.fromStore(ctx.store, { encryptionKey: randomBytes(32) })).rejects.toThrow(
      `signing key ${rotated.kid} cannot be decrypted with TICKETS_KEY_ENCRYPTION_KEY`,
    )
  })
})
