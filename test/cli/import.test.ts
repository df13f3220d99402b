// `tickets import`: NDJSON in, all or nothing, idempotent, run while the server is running.
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, expect, it, vi } from 'vitest'
import type { Ticket } from '../../src/contract/ticket.js'
import { EDGE_TICKETS, PROVIDER_A, PROVIDER_B, PROVIDER_C, seedStore, ticket } from '../support/fixtures.js'
import { countTickets, getTicket } from '../support/store-queries.js'
import { describeEachStore } from '../support/stores.js'
import { CLI_TEST_TIMEOUT, linesOf, ndjson, runCli, STACK_FRAME, testId, writeTempFile } from './fixtures/cli.js'

// Each command is a fresh Node process that loads the whole service; shared CI machines are slow.
vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

/** Valid tickets that the shared seed does not contain. */
const fresh = (prefix: string, count: number, firstNumber: number): Ticket[] =>
  Array.from({ length: count }, (_, i) => ticket({ id: testId(prefix, i + 1), ticket_number: firstNumber + i }))

const SUMMARY = /^tickets: imported (\d+) tickets \((\d+) new, (\d+) updated, (\d+) unchanged\)/m

function summaryOf(stderr: string) {
  const match = SUMMARY.exec(stderr)
  if (!match) throw new Error(`no import summary on stderr: ${stderr}`)
  const [total, inserted, updated, unchanged] = match.slice(1).map(Number)
  return { total, inserted, updated, unchanged }
}

const files: string[] = []
function file(content: string): string {
  const path = writeTempFile(content)
  files.push(path)
  return path
}
afterAll(() => {
  for (const path of files) rmSync(dirname(path), { recursive: true, force: true })
})

describeEachStore(
  'tickets import, while the server is running',
  (ctx) => {
    const A = { providerId: PROVIDER_A }

    it('imports every line of a file for the provider given with --provider', async () => {
      const tickets = fresh('a1000000', 5, 51_000_000)
      const before = await countTickets(ctx.store.db)
      const result = await runCli(['import', file(ndjson(tickets)), '--provider', PROVIDER_A], ctx.env)
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toBe('')
      expect(summaryOf(result.stderr)).toEqual({ total: 5, inserted: 5, updated: 0, unchanged: 0 })
      expect(await countTickets(ctx.store.db)).toBe(before + 5)
      for (const expected of tickets) expect(await getTicket(ctx.store.db, A, expected.id)).toEqual(expected)
    })

    it('changes nothing when the same file is imported a second time', async () => {
      const path = file(ndjson(fresh('a2000000', 4, 52_000_000)))
      expect(await runCli(['import', path, '--provider', PROVIDER_A], ctx.env)).toMatchObject({ code: 0 })
      const before = await countTickets(ctx.store.db)
      const again = await runCli(['import', path, '--provider', PROVIDER_A], ctx.env)
      expect(again.code, again.stderr).toBe(0)
      expect(summaryOf(again.stderr)).toEqual({ total: 4, inserted: 0, updated: 0, unchanged: 4 })
      expect(await countTickets(ctx.store.db)).toBe(before)
    })

    it('updates a ticket whose line changed and leaves the others untouched', async () => {
      const tickets = fresh('a3000000', 3, 53_000_000)
      expect(await runCli(['import', file(ndjson(tickets)), '--provider', PROVIDER_A], ctx.env)).toMatchObject({ code: 0 })
      const changed = { ...tickets[1]!, external_reference: 'ERP-42', externally_processed: true }
      const result = await runCli(['import', file(ndjson([tickets[0], changed, tickets[2]])), '--provider', PROVIDER_A], ctx.env)
      expect(summaryOf(result.stderr)).toEqual({ total: 3, inserted: 0, updated: 1, unchanged: 2 })
      expect(await getTicket(ctx.store.db, A, changed.id)).toEqual(changed)
    })

    it('reads the tickets from stdin when the file is -', async () => {
      const tickets = fresh('a4000000', 2, 54_000_000)
      const before = await countTickets(ctx.store.db)
      const result = await runCli(['import', '-', '--provider', PROVIDER_A], ctx.env, ndjson(tickets))
      expect(result.code, result.stderr).toBe(0)
      expect(summaryOf(result.stderr)).toEqual({ total: 2, inserted: 2, updated: 0, unchanged: 0 })
      expect(await countTickets(ctx.store.db)).toBe(before + 2)
    })

    it('gives each ticket to the provider named by its own provider_id when --provider is absent', async () => {
      const [forB, forC] = fresh('a5000000', 2, 55_000_000)
      const lines = [
        { ...forB!, provider_id: PROVIDER_B },
        { ...forC!, provider_id: PROVIDER_C },
      ]
      const result = await runCli(['import', file(ndjson(lines))], ctx.env)
      expect(result.code, result.stderr).toBe(0)
      expect(await getTicket(ctx.store.db, { providerId: PROVIDER_B }, forB!.id)).toEqual(forB)
      expect(await getTicket(ctx.store.db, { providerId: PROVIDER_C }, forC!.id)).toEqual(forC)
      expect(await getTicket(ctx.store.db, A, forB!.id)).toBeUndefined()
    })

    it('refuses a line without provider_id when --provider is absent, naming provider_id, and imports nothing', async () => {
      const [owned, orphan] = fresh('a6000000', 2, 56_000_000)
      const before = await countTickets(ctx.store.db)
      const result = await runCli(['import', file(ndjson([{ ...owned!, provider_id: PROVIDER_B }, orphan]))], ctx.env)
      expect(result.code, result.stderr).toBe(1)
      expect(result.stderr).toContain('line 2: provider_id: ')
      expect(await countTickets(ctx.store.db)).toBe(before)
    })

    it('fails with exit 1 and one line on stderr when the file does not exist', async () => {
      const result = await runCli(['import', '/nonexistent/tickets.ndjson', '--provider', PROVIDER_A], ctx.env)
      expect(result.code, result.stderr).toBe(1)
      expect(linesOf(result.stderr)).toEqual([expect.stringContaining('/nonexistent/tickets.ndjson')])
    })

    // Each file: valid lines around one bad line. The whole file must be refused.
    const valid = fresh('a7000000', 3, 57_000_000)
    const { vin: _vin, ...withoutVin } = ticket({ id: testId('a7000000', 90), ticket_number: 57_000_090 })
    const badFiles: Array<{ name: string; lines: string[]; error: string | RegExp }> = [
      {
        name: 'a line that is not valid JSON',
        lines: [JSON.stringify(valid[0]), '{"id": "a7000000-', JSON.stringify(valid[1])],
        error: 'line 2: (line): is not valid JSON',
      },
      {
        name: 'a line missing a field',
        lines: [JSON.stringify(valid[0]), JSON.stringify(withoutVin), JSON.stringify(valid[1])],
        error: 'line 2: vin: is required',
      },
      {
        name: 'a closed ticket without finished_at',
        lines: [JSON.stringify(valid[0]), JSON.stringify({ ...valid[2]!, finished_at: null }), JSON.stringify(valid[1])],
        error: 'line 2: finished_at: is required for a closed ticket',
      },
      {
        name: 'a vin of 16 characters',
        lines: [JSON.stringify(valid[0]), JSON.stringify({ ...valid[2]!, vin: 'JH4KA7630PC00764' }), JSON.stringify(valid[1])],
        error: /line 2: vin: .*17 characters/,
      },
      {
        name: 'a duplicate id',
        lines: [JSON.stringify(valid[0]), JSON.stringify(valid[1]), JSON.stringify({ ...valid[0]!, ticket_number: 57_000_099 })],
        error: 'line 3: id: duplicates the ticket on line 1',
      },
      {
        name: 'a ticket_number used by another existing ticket',
        lines: [
          JSON.stringify(valid[0]),
          JSON.stringify({ ...valid[2]!, ticket_number: EDGE_TICKETS[0]!.ticket_number }),
          JSON.stringify(valid[1]),
        ],
        error: `line 2: ticket_number: is already used by ticket ${EDGE_TICKETS[0]!.id}`,
      },
    ]
    for (const bad of badFiles) {
      it(`refuses a whole file with ${bad.name}: exit 1, the line and field on stderr, nothing imported`, async () => {
        const before = await countTickets(ctx.store.db)
        const result = await runCli(['import', file(`${bad.lines.join('\n')}\n`), '--provider', PROVIDER_A], ctx.env)
        expect(result.code, result.stderr).toBe(1)
        expect(result.stderr).toMatch(bad.error)
        expect(result.stderr).not.toMatch(STACK_FRAME)
        expect(result.stderr).not.toMatch(SUMMARY)
        expect(await countTickets(ctx.store.db)).toBe(before)
        for (const t of valid) expect(await getTicket(ctx.store.db, A, t.id)).toBeUndefined()
      })
    }
  },
  seedStore,
)
