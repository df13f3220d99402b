// `kill -9` in the middle of an import: the import is all or nothing, so afterwards the store
// holds none of its tickets, opens without manual repair (a stale lock of a dead process is
// taken over), and the same import then runs to completion. On both stores.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, inject, it, vi } from 'vitest'
import { generateTickets } from '../../src/demo/generate-tickets.js'
import { CLI_TEST_TIMEOUT, runCli, spawnCli } from './fixtures/cli.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { STORE_KINDS, TEST_DATABASE_URL } from '../support/stores.js'
import { randomBytes } from 'node:crypto'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT * 2 })

const work = mkdtempSync(join(tmpdir(), 'tickets-import-crash-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

// Large enough that the import is still running when it is killed (it reports progress).
const LINES = 30_000
const file = join(work, 'tickets.ndjson')
writeFileSync(file, [...generateTickets({ count: LINES, seed: 7, providerId: PROVIDER_A })].map((t) => JSON.stringify(t)).join('\n') + '\n')

async function storeEnv(kind: 'embedded' | 'postgres'): Promise<{ env: Record<string, string>; dispose: () => Promise<void> }> {
  if (kind === 'embedded') {
    const dataDir = join(work, 'data')
    cpSync(inject('pgliteTemplate'), dataDir, { recursive: true })
    return { env: { TICKETS_DATA_DIR: dataDir }, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) }
  }
  const name = `tickets_crash_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(TEST_DATABASE_URL!)
  url.pathname = `/${name}`
  return {
    env: { TICKETS_DATABASE_URL: url.toString() },
    dispose: async () => {
      const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await cleanup.connect()
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await cleanup.end()
    },
  }
}

for (const kind of ['embedded', 'postgres'] as const) {
  describe.skipIf(!STORE_KINDS.includes(kind))(`kill -9 during an import [${kind}]`, () => {
    it('leaves nothing of the import, opens without repair, and the import then completes', async () => {
      const { env, dispose } = await storeEnv(kind)
      try {
        expect((await runCli(['migrate'], env)).code).toBe(0)
        const child = spawnCli(['import', file, '--provider', PROVIDER_A], env)
        let stderr = ''
        child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
        const exited = new Promise((resolve) => child.on('exit', resolve))
        // Killed once it has staged some lines, well before it could commit.
        for (let i = 0; i < 1200 && !/lines validated and staged/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50))
        expect(stderr).toMatch(/lines validated and staged/)
        expect(stderr).not.toMatch(/imported \d+ tickets/)
        child.kill('SIGKILL')
        await exited

        const count = await runCli(['export', '--provider', PROVIDER_A], env)
        expect(count.stderr).toBe('')
        expect(count.code).toBe(0)
        expect(count.stdout).toBe('')

        const again = await runCli(['import', file, '--provider', PROVIDER_A], env)
        expect(again.stderr).toMatch(new RegExp(`imported ${LINES} tickets \\(${LINES} new`))
        expect(again.code).toBe(0)
      } finally {
        await dispose()
      }
    })
  })
}
