// Usage errors, `openapi`, `config` and `migrate`, run against a store while the server is running.
import { expect, it, vi } from 'vitest'
import { buildOpenApiDocument } from '../../src/http/openapi.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { CLI_TEST_TIMEOUT, linesOf, runCli, STACK_FRAME } from './fixtures/cli.js'

// Each command is a fresh Node process that loads the whole service; shared CI machines are slow.
vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

const USAGE_ERRORS: Array<{ name: string; args: string[]; mentions: string }> = [
  { name: 'a missing --provider', args: ['clients', 'create', '--name', 'x'], mentions: '--provider' },
  { name: 'a --provider that is not a UUID', args: ['clients', 'create', '--provider', 'not-a-uuid', '--name', 'x'], mentions: 'UUID' },
  {
    name: 'an unknown scope',
    args: ['clients', 'create', '--provider', PROVIDER_A, '--name', 'x', '--scope', 'tickets:delete'],
    mentions: 'tickets:delete',
  },
  { name: 'an unknown flag', args: ['clients', 'list', '--bogus'], mentions: '--bogus' },
  { name: 'import without a file', args: ['import', '--provider', PROVIDER_A], mentions: 'import' },
  { name: 'clients without an action', args: ['clients'], mentions: 'clients' },
  { name: 'clients revoke without a client id', args: ['clients', 'revoke'], mentions: 'client_id' },
  { name: 'export with a bad --provider', args: ['export', '--provider', '123'], mentions: '--provider' },
]

describeEachStore('tickets commands, while the server is running', (ctx) => {
  for (const usage of USAGE_ERRORS) {
    it(`exits 2 with one line on stderr for ${usage.name}, changing nothing`, async () => {
      const clientsBefore = (await ctx.store.listClients()).length
      const result = await runCli(usage.args, ctx.env)
      expect(result.code, result.stderr).toBe(2)
      expect(result.stdout).toBe('')
      expect(linesOf(result.stderr)).toEqual([expect.stringContaining(usage.mentions)])
      expect((await ctx.store.listClients()).length).toBe(clientsBefore)
    })
  }

  it('exits 2 with one line on stderr for an unknown command', async () => {
    const result = await runCli(['frobnicate'], ctx.env)
    expect(result.code, result.stderr).toBe(2)
    expect(result.stdout).toBe('')
    expect(linesOf(result.stderr)).toEqual([expect.stringContaining('frobnicate')])
  })

  it('prints the OpenAPI document that /openapi.json serves', async () => {
    const result = await runCli(['openapi'], ctx.env)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify(await buildOpenApiDocument())))
  })

  it('shows the effective configuration as JSON', async () => {
    const result = await runCli(['config', '--json'], ctx.env)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const config = JSON.parse(result.stdout) as Record<string, string>
    expect(config).toMatchObject({
      port: '8080',
      host: '127.0.0.1',
      logLevel: 'info',
      signingSecret: '(unset)',
      poolSize: '10',
      statementTimeoutMs: '10000',
      trustProxy: 'false',
      demo: 'auto',
    })
    if (ctx.kind === 'embedded') expect(config).toMatchObject({ databaseUrl: '(unset)', dataDir: ctx.env.TICKETS_DATA_DIR })
    else expect(config.databaseUrl).toContain(new URL(ctx.env.TICKETS_DATABASE_URL!).host + new URL(ctx.env.TICKETS_DATABASE_URL!).pathname)
  })

  it('redacts the database password and the signing secret in the configuration it shows', async () => {
    const env = {
      ...ctx.env,
      TICKETS_DATABASE_URL: 'postgres://tickets:s3cret-pw@db.example.com:5433/tickets',
      TICKETS_SIGNING_SECRET: 'x'.repeat(40),
      PORT: '9090',
    }
    const result = await runCli(['config', '--json'], env)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).not.toContain('s3cret-pw')
    expect(result.stdout).not.toContain('x'.repeat(40))
    const config = JSON.parse(result.stdout) as Record<string, string>
    expect(config.databaseUrl).toMatch(/^postgres:\/\/.*db\.example\.com:5433\/tickets$/)
    expect(config.signingSecret).not.toBe('(unset)')
    expect(config.port).toBe('9090')
  })

  it('says the store is up to date when migrate finds nothing to apply', async () => {
    const result = await runCli(['migrate'], ctx.env)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(linesOf(result.stdout)).toEqual([expect.stringMatching(/is up to date$/)])
  })

  it('fails with exit 1 and one line naming a bad setting', async () => {
    // Settings are checked before the store is opened, so these may run side by side.
    const bad = { PORT: 'abc', TICKETS_NOPE: '1', TICKETS_POOL_SIZE: '0' }
    await Promise.all(
      Object.entries(bad).map(async ([name, value]) => {
        const result = await runCli(['migrate'], { ...ctx.env, [name]: value })
        expect(result.code, name).toBe(1)
        expect(linesOf(result.stderr), name).toEqual([expect.stringContaining(name)])
        expect(result.stderr).not.toMatch(STACK_FRAME)
      }),
    )
  })
})
