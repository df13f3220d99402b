// `tickets partners add|list|remove`, run while a server (this test process, and an app built
// on the same store) is running: what the CLI changes is what the API's outsourcing sees.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { bearer, createTestApp, requestToken } from '../support/api.js'
import { CUSTOMER_X, PROVIDER_A, PROVIDER_B, PROVIDER_C } from '../support/fixtures.js'
import { MODEL, TICKETS, VIN } from '../support/lifecycle.js'
import { describeEachStore } from '../support/stores.js'
import { CLI_TEST_TIMEOUT, linesOf, runCli, STACK_FRAME } from './fixtures/cli.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

const PROVIDER_D = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd'
const PROVIDER_E = 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee'
const PROVIDER_F = 'ffffffff-ffff-4fff-8fff-ffffffffffff'

interface Row {
  provider_id: string
  partner_id: string
  created_at: string
}

describeEachStore('tickets partners, while the server is running', (ctx) => {
  let app: FastifyInstance
  let token: string

  beforeAll(async () => {
    app = await createTestApp(ctx.store)
    // The platform's own system for PROVIDER_A, created the way the README says: --scope repeated.
    const created = await runCli(
      [
        'clients',
        'create',
        '--provider',
        PROVIDER_A,
        '--name',
        'platform',
        '--scope',
        'tickets:read',
        '--scope',
        'tickets:write',
        '--scope',
        'tickets:manage',
        '--json',
      ],
      ctx.env,
    )
    expect(created.code, created.stderr).toBe(0)
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string; scopes: string[] }
    expect(client.scopes).toEqual(['tickets:read', 'tickets:write', 'tickets:manage'])
    const granted = await requestToken(app, client.client_id, client.client_secret)
    expect(granted.json()).toMatchObject({ scope: 'tickets:read tickets:write tickets:manage' })
    token = granted.json().access_token as string
  })
  afterAll(async () => {
    await app?.close()
  })

  const post = (url: string, body: unknown) =>
    app.inject({ method: 'POST', url, headers: { ...bearer(token), 'content-type': 'application/json' }, payload: JSON.stringify(body) })

  async function outsourceTo(partner: string) {
    const created = await post(TICKETS, { customer_id: CUSTOMER_X, vehicle_model_id: MODEL, vin: VIN })
    expect(created.statusCode, created.body).toBe(201)
    return post(`${TICKETS}/${created.json().id as string}/outsource`, { provider_id: partner })
  }

  const listed = async (...extra: string[]) => {
    const result = await runCli(['partners', 'list', '--json', ...extra], ctx.env)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    return JSON.parse(result.stdout) as Row[]
  }

  it('adds a partnership that the running server honours at once for outsourcing', async () => {
    const refused = await outsourceTo(PROVIDER_B)
    expect(refused.statusCode).toBe(422)
    expect(refused.json()).toMatchObject({ code: 'not-partnered' })

    const added = await runCli(['partners', 'add', PROVIDER_A, PROVIDER_B], ctx.env)
    expect(added).toMatchObject({ code: 0, stderr: '' })
    expect(linesOf(added.stdout)).toEqual([expect.stringMatching(new RegExp(`${PROVIDER_A} and ${PROVIDER_B} are partners now`))])

    const outsourced = await outsourceTo(PROVIDER_B)
    expect(outsourced.statusCode, outsourced.body).toBe(200)
    expect(outsourced.json()).toMatchObject({ state: 'outsourced', outsourced: true })
  })

  it('says "already partners" and changes nothing when the pair exists, in either order', async () => {
    expect((await runCli(['partners', 'add', PROVIDER_C, PROVIDER_D], ctx.env)).code).toBe(0)
    const before = await listed()
    for (const args of [
      [PROVIDER_C, PROVIDER_D],
      [PROVIDER_D, PROVIDER_C],
      [PROVIDER_D.toUpperCase(), PROVIDER_C],
    ]) {
      const again = await runCli(['partners', 'add', ...args], ctx.env)
      expect(again).toMatchObject({ code: 0, stderr: '' })
      expect(again.stdout).toContain('already partners')
    }
    expect(await listed()).toEqual(before)
  })

  it('lists partnerships as JSON and as text; --provider puts that provider first', async () => {
    expect((await runCli(['partners', 'add', PROVIDER_F, PROVIDER_E], ctx.env)).code).toBe(0)
    const all = await listed()
    const pair = all.find((row) => [row.provider_id, row.partner_id].sort().join() === [PROVIDER_E, PROVIDER_F].join())
    expect(pair).toEqual({
      provider_id: PROVIDER_E,
      partner_id: PROVIDER_F,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    })
    expect(await listed('--provider', PROVIDER_F)).toEqual([{ ...pair, provider_id: PROVIDER_F, partner_id: PROVIDER_E }])
    expect(await listed('--provider', PROVIDER_E)).toEqual([pair])

    const text = await runCli(['partners', 'list', '--provider', PROVIDER_F], ctx.env)
    expect(text).toMatchObject({ code: 0, stderr: '' })
    expect(linesOf(text.stdout)).toEqual([`${PROVIDER_F}  ${PROVIDER_E}  since ${pair!.created_at}`])

    const none = await runCli(['partners', 'list', '--provider', '12345678-1234-4234-8234-123456789012'], ctx.env)
    expect(none).toMatchObject({ code: 0, stderr: '' })
    expect(none.stdout).toContain('has no partners')
  })

  it('removes a partnership: new outsources are refused; removing it again fails with one line', async () => {
    expect((await runCli(['partners', 'add', PROVIDER_A, PROVIDER_C], ctx.env)).code).toBe(0)
    expect((await outsourceTo(PROVIDER_C)).statusCode).toBe(200)

    const removed = await runCli(['partners', 'remove', PROVIDER_C, PROVIDER_A], ctx.env)
    expect(removed).toMatchObject({ code: 0, stderr: '' })
    expect(removed.stdout).toContain('no longer partners')
    expect(await listed('--provider', PROVIDER_A)).toEqual([expect.objectContaining({ provider_id: PROVIDER_A, partner_id: PROVIDER_B })])
    const refused = await outsourceTo(PROVIDER_C)
    expect(refused.statusCode).toBe(422)
    expect(refused.json()).toMatchObject({ code: 'not-partnered' })

    const again = await runCli(['partners', 'remove', PROVIDER_A, PROVIDER_C], ctx.env)
    expect(again.code).toBe(1)
    expect(again.stdout).toBe('')
    expect(linesOf(again.stderr)).toEqual([expect.stringContaining('are not partners')])
  })

  const USAGE_ERRORS: Array<{ name: string; args: string[]; mentions: string }> = [
    { name: 'no action', args: ['partners'], mentions: 'add, list or remove' },
    { name: 'an unknown action', args: ['partners', 'join'], mentions: '"join"' },
    { name: 'one provider', args: ['partners', 'add', PROVIDER_A], mentions: 'exactly two provider ids' },
    { name: 'three providers', args: ['partners', 'remove', PROVIDER_A, PROVIDER_B, PROVIDER_C], mentions: 'exactly two' },
    { name: 'a bad first id', args: ['partners', 'add', 'acme', PROVIDER_B], mentions: 'the first provider id "acme" must be a UUID' },
    { name: 'a bad second id', args: ['partners', 'remove', PROVIDER_A, '42'], mentions: 'the second provider id "42" must be a UUID' },
    { name: 'the same provider twice', args: ['partners', 'add', PROVIDER_B, PROVIDER_B], mentions: 'two different providers' },
    { name: 'a bad --provider', args: ['partners', 'list', '--provider', 'x'], mentions: '--provider "x" must be a UUID' },
    { name: 'an unknown flag', args: ['partners', 'list', '--all'], mentions: '--all' },
  ]
  for (const usage of USAGE_ERRORS)
    it(`exits 2 with one line on stderr for ${usage.name}, changing nothing`, async () => {
      const before = await ctx.store.listPartnerships()
      const result = await runCli(usage.args, ctx.env)
      expect(result.code, result.stderr).toBe(2)
      expect(result.stdout).toBe('')
      expect(linesOf(result.stderr)).toEqual([expect.stringContaining(usage.mentions)])
      expect(result.stderr).not.toMatch(STACK_FRAME)
      expect(await ctx.store.listPartnerships()).toEqual(before)
    })
})
