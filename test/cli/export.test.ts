// `tickets export`: NDJSON that `import` reads back unchanged, run while the server is running.
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { PROVIDER_A, SEED, seedStore, ticketsOf } from '../support/fixtures.js'
import type { ExportedTicket } from '../../src/store/ticket-transfer.js'
import { describeEachStore, openTestStore } from '../support/stores.js'
import { countTickets } from '../support/store-queries.js'
import { CLI_TEST_TIMEOUT, parseNdjson, runCli, writeTempFile } from './fixtures/cli.js'

// Each command is a fresh Node process that loads the whole service; shared CI machines are slow.
vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

const files: string[] = []
function file(content: string): string {
  const path = writeTempFile(content)
  files.push(path)
  return path
}
afterAll(() => {
  for (const path of files) rmSync(dirname(path), { recursive: true, force: true })
})

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

describeEachStore(
  'tickets export, while the server is running',
  (ctx) => {
    let everything: string
    // What the store holds (timestamps in its normalised form), with each ticket's owner.
    let stored: ExportedTicket[]
    beforeAll(async () => {
      stored = []
      for await (const batch of ctx.store.exportTickets()) stored.push(...batch)
      const result = await runCli(['export'], ctx.env)
      expect(result).toMatchObject({ code: 0, stderr: '' })
      everything = result.stdout
    })

    it('exports every ticket of every provider, each line carrying its provider_id', () => {
      const lines = parseNdjson(everything)
      expect(lines).toHaveLength(SEED.length)
      expect(byId(lines)).toEqual(byId(stored.map(({ providerId, ticket }) => ({ ...ticket, provider_id: providerId }))))
      const owners = new Map(SEED.map((s) => [s.ticket.id, s.providerId]))
      for (const line of lines) expect(line.provider_id).toBe(owners.get(line.id))
    })

    it('exports only one provider’s tickets, without provider_id, with --provider', async () => {
      const result = await runCli(['export', '--provider', PROVIDER_A], ctx.env)
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const lines = parseNdjson(result.stdout)
      expect(lines.every((line) => !('provider_id' in line))).toBe(true)
      expect(byId(lines)).toEqual(byId(stored.filter((s) => s.providerId === PROVIDER_A).map((s) => s.ticket)))
      expect(lines).toHaveLength(ticketsOf(PROVIDER_A).length)
    })

    it('round-trips: export, import into a fresh store, export again gives identical output', async () => {
      const other = await openTestStore(ctx.kind)
      try {
        const imported = await runCli(['import', file(everything)], other.env)
        expect(imported.code, imported.stderr).toBe(0)
        expect(await countTickets(other.store.db)).toBe(SEED.length)
        const again = await runCli(['export'], other.env)
        expect(again.code, again.stderr).toBe(0)
        expect(again.stdout).toBe(everything)
      } finally {
        await other.dispose()
      }
    }, 180_000)

    it('changes nothing when its own export is imported back into the same store', async () => {
      const imported = await runCli(['import', file(everything)], ctx.env)
      expect(imported.code, imported.stderr).toBe(0)
      expect(imported.stderr).toContain(`(0 new, 0 updated, ${SEED.length} unchanged)`)
      expect((await runCli(['export'], ctx.env)).stdout).toBe(everything)
    })

    it('changes nothing when a one-provider export is imported back with the same --provider', async () => {
      const exported = await runCli(['export', '--provider', PROVIDER_A], ctx.env)
      const imported = await runCli(['import', file(exported.stdout), '--provider', PROVIDER_A], ctx.env)
      expect(imported.code, imported.stderr).toBe(0)
      expect(imported.stderr).toContain(`(0 new, 0 updated, ${ticketsOf(PROVIDER_A).length} unchanged)`)
      expect((await runCli(['export'], ctx.env)).stdout).toBe(everything)
    })
  },
  seedStore,
)
