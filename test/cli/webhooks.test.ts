// `tickets webhooks …` while a server (this test process, and an app on the same store) runs:
// an operator's client with webhooks:manage, then an endpoint's whole life through the CLI,
// checked against the API; refusals and usage errors are one line on stderr.
import type { FastifyInstance } from 'fastify'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { bearer, createTestApp, requestToken } from '../support/api.js'
import { PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { startReceiver, type Receiver } from '../support/webhooks.js'
import { CLI_TEST_TIMEOUT, linesOf, runCli, STACK_FRAME } from './fixtures/cli.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

const ENDPOINTS = '/v2/system/webhook-endpoints'

describeEachStore('tickets webhooks, while the server is running', (ctx) => {
  let app: FastifyInstance
  let token: string
  let receiver: Receiver
  const cli = (args: string[], allowPrivate = true) =>
    runCli(['webhooks', ...args], { ...ctx.env, ...(allowPrivate ? { TICKETS_WEBHOOKS_ALLOW_PRIVATE: 'true' } : {}) })

  beforeAll(async () => {
    app = await createTestApp(ctx.store, { webhooks: { allowPrivate: true } })
    receiver = await startReceiver()
    const created = await runCli(
      ['clients', 'create', '--provider', PROVIDER_A, '--name', 'hooks', '--scope', 'webhooks:manage', '--json'],
      ctx.env,
    )
    expect(created.code, created.stderr).toBe(0)
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string; scopes: string[] }
    expect(client.scopes).toEqual(['webhooks:manage'])
    const granted = await requestToken(app, client.client_id, client.client_secret)
    expect(granted.json()).toMatchObject({ scope: 'webhooks:manage' })
    token = granted.json().access_token as string
  })
  afterAll(async () => {
    await app?.close()
    await receiver?.close()
  })

  it('manages an endpoint from creation to deletion, as the API sees it', async () => {
    const created = await cli([
      'create',
      '--provider',
      PROVIDER_A,
      '--url',
      `${receiver.origin}/cli`,
      '--event-type',
      'tickets.ticket.*',
      '--event-type',
      'webhook.*',
      '--json',
    ])
    expect(created.code, created.stderr).toBe(0)
    const endpoint = JSON.parse(created.stdout) as { id: string; secret: string; event_types: string[] }
    expect(endpoint.event_types).toEqual(['tickets.ticket.*', 'webhook.*'])
    const viaApi = await app.inject({ method: 'GET', url: `${ENDPOINTS}/${endpoint.id}`, headers: bearer(token) })
    expect(viaApi.json()).toMatchObject({ id: endpoint.id, url: `${receiver.origin}/cli`, disabled: false })

    const listed = await cli(['list', '--provider', PROVIDER_A])
    expect(linesOf(listed.stdout)).toEqual([`${endpoint.id}  enabled   ${receiver.origin}/cli  tickets.ticket.*,webhook.*`])
    expect(linesOf((await cli(['list', '--provider', PROVIDER_B])).stdout)).toEqual([expect.stringContaining('No webhook endpoints')])

    const disabled = await cli(['update', endpoint.id, '--provider', PROVIDER_A, '--disable', '--description', 'paused'])
    expect(disabled.code, disabled.stderr).toBe(0)
    expect(disabled.stdout).toContain('state:          disabled: Disabled by the provider.')
    expect((await cli(['update', endpoint.id, '--provider', PROVIDER_A, '--enable', '--json'])).stdout).toContain('"disabled":false')

    const rotated = await cli(['rotate-secret', endpoint.id, '--provider', PROVIDER_A, '--json'])
    const { secret } = JSON.parse(rotated.stdout) as { secret: string }
    const tested = await cli(['test', endpoint.id, '--provider', PROVIDER_A])
    expect(tested.code, tested.stderr).toBe(0)
    expect(tested.stdout).toMatch(/^Test event [0-9A-Z]{26} delivered: answered 200 in \d+ ms\n$/)
    const request = receiver.requests.at(-1)!
    for (const key of [endpoint.secret, secret])
      expect(new Webhook(key).verify(request.body, request.headers as Record<string, string>)).toBeTruthy()

    receiver.answer = () => ({ status: 500 })
    expect((await cli(['test', endpoint.id, '--provider', PROVIDER_A])).code).toBe(1)
    receiver.answer = () => ({ status: 200 })
    const log = await cli(['deliveries', endpoint.id, '--provider', PROVIDER_A, '--limit', '1'])
    expect(linesOf(log.stdout)).toEqual([
      expect.stringMatching(/webhook\.test {2}#1 {2}answered 500/),
      '… 1 older attempts (--limit to see more)',
    ])

    const recovered = await cli(['recover', endpoint.id, '--provider', PROVIDER_A, '--since', '2020-01-01T00:00:00Z'])
    expect(recovered.code, recovered.stderr).toBe(0)
    expect(recovered.stdout).toContain(`Recovering webhook endpoint ${endpoint.id}`)

    const deleted = await cli(['delete', endpoint.id, '--provider', PROVIDER_A])
    expect(deleted.stdout).toBe(`Deleted webhook endpoint ${endpoint.id}; nothing more is sent to it.\n`)
    const gone = await cli(['show', endpoint.id, '--provider', PROVIDER_A])
    expect(gone.code).toBe(1)
    expect(linesOf(gone.stderr)).toEqual([`tickets: No webhook endpoint ${endpoint.id} belongs to your provider.`])
  })

  it('refuses a private target unless TICKETS_WEBHOOKS_ALLOW_PRIVATE is set', async () => {
    const refused = await cli(['create', '--provider', PROVIDER_A, '--url', 'https://127.0.0.1/hooks', '--event-type', 'tickets.*'], false)
    expect(refused.code).toBe(1)
    expect(linesOf(refused.stderr)).toEqual(['tickets: The webhook URL host 127.0.0.1 is a loopback address.'])
  })

  const USAGE_ERRORS: Array<{ name: string; args: string[]; mentions: string }> = [
    { name: 'no action', args: [], mentions: 'webhooks needs an action' },
    { name: 'an unknown action', args: ['ping'], mentions: '"ping"' },
    { name: 'no --provider', args: ['list'], mentions: 'needs --provider' },
    { name: 'a bad --provider', args: ['list', '--provider', 'acme'], mentions: '--provider "acme" must be a UUID' },
    { name: 'no endpoint id', args: ['show', '--provider', PROVIDER_A], mentions: 'exactly one <endpoint-id>' },
    { name: 'no --url', args: ['create', '--provider', PROVIDER_A, '--event-type', 'tickets.*'], mentions: 'needs --url' },
    {
      name: 'an unknown event type',
      args: ['create', '--provider', PROVIDER_A, '--url', 'http://127.0.0.1:9/', '--event-type', 'tickets.exploded'],
      mentions: '"tickets.exploded" is not a known event type',
    },
    { name: 'an unknown flag', args: ['list', '--provider', PROVIDER_A, '--all'], mentions: '--all' },
  ]
  for (const usage of USAGE_ERRORS)
    it(`exits 2 with one line on stderr for ${usage.name}`, async () => {
      const result = await cli(usage.args)
      expect(result.code, result.stderr).toBe(2)
      expect(result.stdout).toBe('')
      expect(linesOf(result.stderr)).toEqual([expect.stringContaining(usage.mentions)])
      expect(result.stderr).not.toMatch(STACK_FRAME)
    })
})
