// `tickets cancel-reasons list|add`, run while a server (this test process, and an app built on
// the same store) is running: a reason added from the CLI is one the API serves and applies.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import type { CancelReason } from '../../src/contract/cancel-reason.js'
import { bearer, createTestApp } from '../support/api.js'
import { CUSTOMER_X, PROVIDER_A } from '../support/fixtures.js'
import { platformFor, type Platform } from '../support/lifecycle.js'
import { describeEachStore } from '../support/stores.js'
import { CLI_TEST_TIMEOUT, linesOf, runCli, STACK_FRAME } from './fixtures/cli.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

describeEachStore('tickets cancel-reasons, while the server is running', (ctx) => {
  let app: FastifyInstance
  let platform: Platform

  beforeAll(async () => {
    app = await createTestApp(ctx.store)
    platform = await platformFor(app, ctx.store, PROVIDER_A, CUSTOMER_X)
  })
  afterAll(async () => {
    await app?.close()
  })

  const catalogue = async () => (await ctx.store.listCancelReasons({ limit: 1000, offset: 0 })).result

  async function addFromCli(...args: string[]): Promise<CancelReason> {
    const result = await runCli(['cancel-reasons', 'add', '--json', ...args], ctx.env)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    return JSON.parse(result.stdout) as CancelReason
  }

  it('lists the catalogue as the API serves it, as JSON and as one line per reason', async () => {
    const json = await runCli(['cancel-reasons', 'list', '--json'], ctx.env)
    expect(json).toMatchObject({ code: 0, stderr: '' })
    const served = await app.inject({ method: 'GET', url: '/v2/tickets/cancel-reasons?limit=1000', headers: bearer(platform.token) })
    expect(JSON.parse(json.stdout)).toEqual(served.json().result)
    expect(JSON.parse(json.stdout)).toContainEqual({
      id: 90,
      name: 'Reclaimed by the provider that outsourced the ticket.',
      allows_ticket_reopening: false,
      customer_fault: false,
      manually_applicable: false,
    })

    const text = await runCli(['cancel-reasons', 'list'], ctx.env)
    expect(text).toMatchObject({ code: 0, stderr: '' })
    const lines = linesOf(text.stdout)
    expect(lines).toHaveLength((await catalogue()).length)
    expect(lines).toContainEqual(expect.stringMatching(/^ +1 +reopenable,customer-fault +The customer did not respond\.$/))
    expect(lines).toContainEqual(expect.stringMatching(/^ +90 +not-manual +Reclaimed by the provider/))
  })

  it('adds a reason, numbered from 100, that tickets can be cancelled with and (when reopenable) reopened from', async () => {
    const added = await addFromCli('--name', '  The workshop closed early.  ', '--reopenable', '--customer-fault')
    expect(added).toEqual({
      id: expect.any(Number),
      name: 'The workshop closed early.',
      allows_ticket_reopening: true,
      customer_fault: true,
      manually_applicable: true,
    })
    expect(added.id).toBeGreaterThanOrEqual(100)
    const served = await app.inject({ method: 'GET', url: `/v2/tickets/cancel-reasons/${added.id}`, headers: bearer(platform.token) })
    expect(served.json()).toEqual(added)

    const ticket = await platform.create()
    const cancelled = await platform.act(ticket.id, 'cancel', { cancel_reason_id: added.id })
    expect(cancelled.statusCode, cancelled.body).toBe(200)
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', cancel_reason_id: added.id })
    expect((await platform.act(ticket.id, 'reopen')).json()).toMatchObject({ state: 'pending', cancel_reason_id: null })
  })

  it('adds a --not-manual reason that operators cannot apply', async () => {
    const added = await addFromCli('--name', 'Fraud suspected by the platform.', '--not-manual')
    expect(added).toMatchObject({ allows_ticket_reopening: false, customer_fault: false, manually_applicable: false })
    const refused = await platform.act((await platform.create()).id, 'cancel', { cancel_reason_id: added.id })
    expect(refused.statusCode).toBe(422)
    expect(refused.json()).toMatchObject({ code: 'cancel-reason-not-applicable' })
  })

  it('takes --id up to the int32 maximum, refuses an id in use, and numbers past ids taken with --id', async () => {
    const high = await addFromCli('--name', 'Highest.', '--id', '2147483647')
    expect(high.id).toBe(2147483647)
    const taken = await runCli(['cancel-reasons', 'add', '--name', 'Again.', '--id', '4'], ctx.env)
    expect(taken.code).toBe(1)
    expect(taken.stdout).toBe('')
    expect(linesOf(taken.stderr)).toEqual([expect.stringContaining('cancel reason 4 exists already ("Operation too risky.")')])

    // The catalogue's own numbering would hand out the next id; take it first with --id.
    const next = Math.max(...(await catalogue()).map((r) => Number(r.id)).filter((id) => id < 2147483647)) + 1
    await addFromCli('--name', 'Taken by hand.', '--id', String(next))
    const numbered = await addFromCli('--name', 'Numbered.')
    expect((await catalogue()).filter((r) => r.name === 'Numbered.')).toEqual([numbered])
    expect(numbered.id).not.toBe(next)
  })

  const USAGE_ERRORS: Array<{ name: string; args: string[]; mentions: string }> = [
    { name: 'no action', args: ['cancel-reasons'], mentions: 'list or add' },
    { name: 'an unknown action', args: ['cancel-reasons', 'remove', '3'], mentions: '"remove"' },
    { name: 'a missing --name', args: ['cancel-reasons', 'add', '--reopenable'], mentions: '--name' },
    { name: 'a blank --name', args: ['cancel-reasons', 'add', '--name', '   '], mentions: '--name must not be empty' },
    { name: 'a --name of 256 characters', args: ['cancel-reasons', 'add', '--name', 'é'.repeat(256)], mentions: 'at most 255' },
    { name: '--id 0', args: ['cancel-reasons', 'add', '--name', 'x', '--id', '0'], mentions: '--id must be a whole number' },
    { name: '--id beyond int32', args: ['cancel-reasons', 'add', '--name', 'x', '--id', '2147483648'], mentions: '2147483648' },
    { name: 'a --id that is not a number', args: ['cancel-reasons', 'add', '--name', 'x', '--id', '1e3'], mentions: '"1e3"' },
    { name: 'an unknown flag', args: ['cancel-reasons', 'list', '--all'], mentions: '--all' },
  ]
  for (const usage of USAGE_ERRORS)
    it(`exits 2 with one line on stderr for ${usage.name}, changing nothing`, async () => {
      const before = await catalogue()
      const result = await runCli(usage.args, ctx.env)
      expect(result.code, result.stderr).toBe(2)
      expect(result.stdout).toBe('')
      expect(linesOf(result.stderr)).toEqual([expect.stringContaining(usage.mentions)])
      expect(result.stderr).not.toMatch(STACK_FRAME)
      expect(await catalogue()).toEqual(before)
    })
})
