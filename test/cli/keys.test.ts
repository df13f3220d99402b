// `tickets keys rotate|list`, run while a server (an app on the same store) is running.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { createClient, createTestApp, requestToken } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { CLI_TEST_TIMEOUT, linesOf, runCli, STACK_FRAME } from './fixtures/cli.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

const KEK = randomBytes(32).toString('base64')
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>

describeEachStore('tickets keys, while the server is running', (ctx) => {
  let app: FastifyInstance
  let client: { clientId: string; secret: string }
  const apps: FastifyInstance[] = []
  const tokenFrom = async (from: FastifyInstance) =>
    (await requestToken(from, client.clientId, client.secret)).json().access_token as string
  const call = (token: string, on = app) =>
    on.inject({ method: 'GET', url: '/v2/tickets/tickets?limit=1', headers: { authorization: `Bearer ${token}` } })

  beforeAll(async () => {
    app = await createTestApp(ctx.store)
    client = await createClient(ctx.store, PROVIDER_A)
  })
  afterAll(async () => {
    for (const built of [app, ...apps]) await built?.close()
  })

  it('lists the first key as current, never its secret', async () => {
    const result = await runCli(['keys', 'list', '--json'], ctx.env)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(result.stdout)).toEqual([
      { kid: 'primary', created_at: expect.any(String), state: 'current', retires_at: null, encrypted: false },
    ])
    const secret = (await ctx.store.listSigningKeys())[0]!.secret
    expect(result.stdout).not.toContain(secret)
    expect((await runCli(['keys', 'list'], ctx.env)).stdout).not.toContain(secret)
  })

  it('rotates: new tokens carry the new kid, the running server accepts them and still accepts the old ones', async () => {
    const old = await tokenFrom(app)
    const result = await runCli(['keys', 'rotate', '--json'], ctx.env)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const rotated = JSON.parse(result.stdout) as {
      kid: string
      previous: string
      previous_retires_at: string
      encrypted: boolean
      pruned: string[]
    }
    expect(rotated).toEqual({
      kid: expect.stringMatching(/^k-/),
      encrypted: false,
      previous: 'primary',
      previous_retires_at: expect.any(String),
      pruned: [],
    })
    const restarted = await createTestApp(ctx.store)
    apps.push(restarted)
    const fresh = await tokenFrom(restarted)
    expect(headerOf(fresh).kid).toBe(rotated.kid)
    expect((await call(fresh)).statusCode).toBe(200)
    expect((await call(old)).statusCode).toBe(200)

    const listed = linesOf((await runCli(['keys', 'list'], ctx.env)).stdout)
    expect(listed).toEqual([
      expect.stringMatching(new RegExp(`^${rotated.kid} .* current .* plaintext$`)),
      expect.stringMatching(/^primary .* verifying until \S+ .* plaintext$/),
    ])
    expect(Date.parse(/verifying until (\S+)/.exec(listed[1]!)![1]!)).toBe(Date.parse(rotated.previous_retires_at))
  })

  it('refuses to rotate while TICKETS_SIGNING_SECRET pins the key', async () => {
    const before = await ctx.store.listSigningKeys()
    const result = await runCli(['keys', 'rotate'], { ...ctx.env, TICKETS_SIGNING_SECRET: 'p'.repeat(40) })
    expect(result.code).toBe(1)
    expect(linesOf(result.stderr)).toEqual([expect.stringContaining('TICKETS_SIGNING_SECRET')])
    expect(await ctx.store.listSigningKeys()).toEqual(before)
  })

  it('exits 2 for a keys command without a known action', async () => {
    for (const args of [['keys'], ['keys', 'delete'], ['keys', 'rotate', '--bogus']]) {
      const result = await runCli(args, ctx.env)
      expect(result.code, args.join(' ')).toBe(2)
      expect(linesOf(result.stderr)).toHaveLength(1)
    }
  })

  it('stores the new key encrypted when TICKETS_KEY_ENCRYPTION_KEY is set; servers need the variable to start', async () => {
    const result = await runCli(['keys', 'rotate', '--json'], { ...ctx.env, TICKETS_KEY_ENCRYPTION_KEY: KEK })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const rotated = JSON.parse(result.stdout) as { kid: string; encrypted: boolean }
    expect(rotated.encrypted).toBe(true)
    expect((await ctx.store.listSigningKeys()).find((key) => key.kid === rotated.kid)).toMatchObject({
      encrypted: true,
      secret: expect.stringMatching(/^v1\./),
    })
    // Listing needs no key: it never reads a secret.
    expect(JSON.parse((await runCli(['keys', 'list', '--json'], ctx.env)).stdout)[0]).toMatchObject({
      kid: rotated.kid,
      state: 'current',
      encrypted: true,
    })

    const withKey = await createTestApp(ctx.store, { keyring: { encryptionKey: Buffer.from(KEK, 'base64') } })
    apps.push(withKey)
    const token = await tokenFrom(withKey)
    expect(headerOf(token).kid).toBe(rotated.kid)
    expect((await call(token)).statusCode).toBe(401) // the running server has no key to decrypt it
    expect((await call(token, withKey)).statusCode).toBe(200)
    await expect(createTestApp(ctx.store)).rejects.toThrow(`signing key ${rotated.kid} is stored encrypted: set TICKETS_KEY_ENCRYPTION_KEY`)
  })

  // The embedded store's directory belongs to this test process, so a second server cannot open it.
  it.skipIf(ctx.kind !== 'postgres')(
    'serve exits 1 with one line naming TICKETS_KEY_ENCRYPTION_KEY when it is needed but unset',
    async () => {
      const result = await runCli(['serve', '--port', '0'], ctx.env)
      expect(result.code).toBe(1)
      expect(linesOf(result.stderr)).toEqual([expect.stringContaining('is stored encrypted: set TICKETS_KEY_ENCRYPTION_KEY')])
      expect(result.stderr).not.toMatch(STACK_FRAME)
    },
  )
})
