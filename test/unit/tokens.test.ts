// TokenService remembers verified tokens; these pin down that the memory never accepts what a
// fresh verification would refuse.
import { describe, expect, it } from 'vitest'
import { TokenService } from '../../src/auth/tokens.js'

const CLAIMS = { clientId: 'client-1', providerId: 'b0000000-0000-4000-8000-000000000001', scopes: ['tickets:read' as const] }

describe('TokenService', () => {
  it('still refuses a remembered token once it has expired', async () => {
    let now = new Date('2025-01-01T00:00:00Z')
    const tokens = new TokenService('secret-one', () => now)
    const { accessToken } = await tokens.issue(CLAIMS)
    expect(await tokens.verify(accessToken)).toEqual(CLAIMS)
    now = new Date('2025-01-01T00:59:59.999Z')
    expect(await tokens.verify(accessToken)).toEqual(CLAIMS)
    now = new Date('2025-01-01T01:00:00Z')
    await expect(tokens.verify(accessToken)).rejects.toThrow('The access token has expired.')
    await expect(tokens.verify(accessToken)).rejects.toThrow('The access token has expired.')
  })

  it('refuses a token whose signature differs from a remembered one in any byte', async () => {
    const tokens = new TokenService('secret-one', () => new Date())
    const { accessToken } = await tokens.issue(CLAIMS)
    await tokens.verify(accessToken)
    const [header, payload, signature] = accessToken.split('.') as [string, string, string]
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`
    await expect(tokens.verify(`${header}.${payload}.${flipped}`)).rejects.toThrow('malformed or its signature is invalid')
    await expect(tokens.verify(`${accessToken}x`)).rejects.toThrow('malformed or its signature is invalid')
  })

  it('refuses a token signed with another key even after verifying its own', async () => {
    const mine = new TokenService('secret-one', () => new Date())
    const theirs = new TokenService('secret-two', () => new Date())
    await mine.verify((await mine.issue(CLAIMS)).accessToken)
    await expect(mine.verify((await theirs.issue(CLAIMS)).accessToken)).rejects.toThrow('signature is invalid')
  })
})
