// `tickets clients create|list|revoke`, run while a server (this test process, and an app
// built on the same store) is running, as an operator would.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { bearer, createTestApp, requestToken } from '../support/api.js'
import { PROVIDER_A, PROVIDER_B, seedStore, ticketsOf } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { CLI_TEST_TIMEOUT, linesOf, runCli } from './fixtures/cli.js'

// Each command is a fresh Node process that loads the whole service; shared CI machines are slow.
vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

interface CreatedClient {
  client_id: string
  client_secret: string
  provider_id: string
  scopes: string[]
}

describeEachStore(
  'tickets clients, while the server is running',
  (ctx) => {
    let app: FastifyInstance
    beforeAll(async () => {
      app = await createTestApp(ctx.store)
    })
    afterAll(async () => {
      await app?.close()
    })

    async function createFromCli(...extra: string[]): Promise<CreatedClient> {
      const result = await runCli(['clients', 'create', '--provider', PROVIDER_A, '--name', 'erp-sync', '--json', ...extra], ctx.env)
      expect(result.stderr).toBe('')
      expect(result.code, result.stderr).toBe(0)
      return JSON.parse(result.stdout) as CreatedClient
    }

    const listTickets = (token: string) => app.inject({ method: 'GET', url: '/v2/tickets/tickets?limit=1', headers: bearer(token) })

    it('creates a client with both scopes by default and prints exactly its credentials as JSON', async () => {
      const created = await createFromCli()
      expect(created).toEqual({
        client_id: expect.any(String),
        client_secret: expect.any(String),
        provider_id: PROVIDER_A,
        scopes: ['tickets:read', 'tickets:write'],
      })
      expect(created.client_secret.length).toBeGreaterThanOrEqual(32)
    })

    it('issues a secret that the running server accepts at POST /oauth2/token', async () => {
      const created = await createFromCli()
      const response = await requestToken(app, created.client_id, created.client_secret)
      expect(response.statusCode).toBe(200)
      expect(JSON.parse(response.body)).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'tickets:read tickets:write',
      })
      const tickets = await listTickets((JSON.parse(response.body) as { access_token: string }).access_token)
      expect(tickets.statusCode).toBe(200)
      expect((JSON.parse(tickets.body) as { total: number }).total).toBe(ticketsOf(PROVIDER_A).length)
    })

    it('restricts a client to the scopes given with --scope', async () => {
      const created = await createFromCli('--scope', 'tickets:read')
      expect(created.scopes).toEqual(['tickets:read'])
      const granted = await requestToken(app, created.client_id, created.client_secret)
      expect(JSON.parse(granted.body)).toMatchObject({ scope: 'tickets:read' })
      const refused = await requestToken(app, created.client_id, created.client_secret, 'tickets:write')
      expect(refused.statusCode).toBe(400)
      expect(JSON.parse(refused.body)).toMatchObject({ status: 400, code: 'invalid-scope', error: 'invalid_scope' })
    })

    it('prints the secret with a warning when --json is not given', async () => {
      const result = await runCli(['clients', 'create', '--provider', PROVIDER_B, '--name', 'billing'], ctx.env)
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toMatch(/client_id: +tc_\S+/)
      expect(result.stdout).toMatch(/client_secret: +\S{32,}/)
      expect(result.stdout).toContain('shown only now')
    })

    it('lists a client created from the CLI with its provider, name and scopes, and no secret', async () => {
      const created = await createFromCli('--scope', 'tickets:write')
      const result = await runCli(['clients', 'list', '--json'], ctx.env)
      expect(result.code, result.stderr).toBe(0)
      const listed = JSON.parse(result.stdout) as Array<Record<string, unknown>>
      expect(listed.find((c) => c.client_id === created.client_id)).toEqual({
        client_id: created.client_id,
        provider_id: PROVIDER_A,
        name: 'erp-sync',
        scopes: ['tickets:write'],
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        revoked_at: null,
      })
      expect(result.stdout).not.toContain(created.client_secret)
    })

    it('revokes a client so that the running server rejects its existing token on the next request', async () => {
      const created = await createFromCli()
      const token = (JSON.parse((await requestToken(app, created.client_id, created.client_secret)).body) as { access_token: string })
        .access_token
      expect((await listTickets(token)).statusCode).toBe(200)

      const revoked = await runCli(['clients', 'revoke', created.client_id], ctx.env)
      expect(revoked).toMatchObject({ code: 0, stderr: '' })
      expect(revoked.stdout).toContain(created.client_id)

      const rejected = await listTickets(token)
      expect(rejected.statusCode).toBe(401)
      expect(rejected.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(rejected.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/)
      expect(JSON.parse(rejected.body)).toEqual({
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: expect.any(String),
        code: 'invalid-token',
      })
    })

    it('revokes a client so that the running server refuses it new tokens', async () => {
      const created = await createFromCli()
      expect(await runCli(['clients', 'revoke', created.client_id], ctx.env)).toMatchObject({ code: 0 })
      const refused = await requestToken(app, created.client_id, created.client_secret)
      expect(refused.statusCode).toBe(401)
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(JSON.parse(refused.body)).toEqual({
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: expect.any(String),
        code: 'invalid-client',
        error: 'invalid_client',
      })
      const listed = JSON.parse((await runCli(['clients', 'list', '--json'], ctx.env)).stdout) as Array<Record<string, unknown>>
      expect(listed.find((c) => c.client_id === created.client_id)?.revoked_at).toEqual(expect.any(String))
    })

    it('fails with exit 1 and one line on stderr when revoking an unknown client', async () => {
      const result = await runCli(['clients', 'revoke', 'tc_does_not_exist'], ctx.env)
      expect(result.code, result.stderr).toBe(1)
      expect(result.stdout).toBe('')
      expect(linesOf(result.stderr)).toEqual([expect.stringContaining('tc_does_not_exist')])
    })
  },
  seedStore,
)
