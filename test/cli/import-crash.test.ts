// `kill -9` in the middle of an import: the import is all or nothing, so afterwards the store
// holds none of its tickets, opens without manual repair (a stale lock of a dead process is
// taken over), and the same import then runs to completion. On both stores.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { generateTickets } from '../../src/demo/generate-tickets.js'
import { CLI_TEST_TIMEOUT, runCli, spawnCli } from './fixtures/cli.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { STORE_KINDS } from '../support/stores.js'
import { freshStoreEnv } from './fixtures/store-env.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT * 2 })

const work = mkdtempSync(join(tmpdir(), 'tickets-import-crash-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

// Large enough that the import is still running when it is killed (it reports progress).
const LINES = 30_000
const file = join(work, 'tickets.ndjson')
writeFileSync(file, [...generateTickets({ count: LINES, seed: 7, providerId: PROVIDER_A })].map((t) => JSON.stringify(t)).join('\n') + '\n')

for (const kind of ['embedded', 'postgres'] as const) {
  describe.skipIf(!STORE_KINDS.includes(kind))(`kill -9 during an import [${kind}]`, () => {
    it('leaves nothing of the import, opens without repair, and the import then completes', async () => {
      const { env, dispose } = await freshStoreEnv(kind)
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
