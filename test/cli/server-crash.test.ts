// `kill -9` of the server in the middle of requests: every PATCH it acknowledged (200) is in
// the store afterwards, and the store opens again without manual repair. On both stores.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { generateTickets } from '../../src/demo/generate-tickets.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { STORE_KINDS } from '../support/stores.js'
import { CLI_TEST_TIMEOUT, parseNdjson, runCli, spawnCli } from './fixtures/cli.js'
import { freshStoreEnv } from './fixtures/store-env.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT * 2 })

const work = mkdtempSync(join(tmpdir(), 'tickets-server-crash-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
const TICKETS = [...generateTickets({ count: 400, seed: 11, providerId: PROVIDER_A })]
const file = join(work, 'tickets.ndjson')
writeFileSync(file, TICKETS.map((t) => JSON.stringify(t)).join('\n') + '\n')

for (const kind of ['embedded', 'postgres'] as const) {
  describe.skipIf(!STORE_KINDS.includes(kind))(`kill -9 of the server during writes [${kind}]`, () => {
    it('keeps every acknowledged PATCH and opens again without repair', async () => {
      const { env, dispose } = await freshStoreEnv(kind)
      const serverEnv = { ...env, TICKETS_DEMO: 'never' }
      try {
        expect((await runCli(['import', file, '--provider', PROVIDER_A], serverEnv)).code).toBe(0)
        const created = await runCli(['clients', 'create', '--provider', PROVIDER_A, '--name', 'crash test', '--json'], serverEnv)
        const { client_id, client_secret } = JSON.parse(created.stdout) as { client_id: string; client_secret: string }

        const server = spawnCli(['serve', '--port', '0'], serverEnv)
        let stdout = ''
        server.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
        const exited = new Promise((resolve) => server.on('exit', resolve))
        for (let i = 0; i < 1200 && !/listening on (http:\S+)/.test(stdout); i++) await new Promise((r) => setTimeout(r, 100))
        const base = /listening on (http:\S+)/.exec(stdout)![1]!
        const token = (await (
          await fetch(`${base}/oauth2/token`, {
            method: 'POST',
            body: new URLSearchParams({ grant_type: 'client_credentials', client_id, client_secret }),
          })
        ).json()) as { access_token: string }

        // Four writers, each marking its own tickets, until the server dies under them.
        const acknowledged = new Map<string, string>()
        let next = 0
        const writer = async () => {
          while (next < TICKETS.length) {
            const ticket = TICKETS[next++]!
            const reference = `crash-${ticket.ticket_number}`
            try {
              const response = await fetch(`${base}/v2/tickets/tickets/${ticket.id}`, {
                method: 'PATCH',
                headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
                body: JSON.stringify({ external_reference: reference, externally_processed: true }),
              })
              if (response.status === 200) acknowledged.set(ticket.id, reference)
              await response.arrayBuffer()
            } catch {
              return // the connection died with the server
            }
          }
        }
        const writers = Array.from({ length: 4 }, writer)
        for (let i = 0; i < 600 && acknowledged.size < 40; i++) await new Promise((r) => setTimeout(r, 10))
        server.kill('SIGKILL')
        await exited
        await Promise.all(writers)
        expect(acknowledged.size).toBeGreaterThanOrEqual(40)

        const exported = await runCli(['export', '--provider', PROVIDER_A], serverEnv)
        expect(exported.code).toBe(0)
        const stored = new Map(parseNdjson(exported.stdout).map((t) => [t.id, t]))
        expect(stored.size).toBe(TICKETS.length)
        for (const [id, reference] of acknowledged) {
          expect(stored.get(id)).toMatchObject({ external_reference: reference, externally_processed: true })
        }
      } finally {
        await dispose()
      }
    })
  })
}
