// `tickets import` of files large enough for the bulk path (≥ 50,000 lines and a quarter of
// the store: indexes rebuilt, documents computed in the upsert; on PostgreSQL the rows are
// staged through COPY while the file is still being read). An error far into such a file still
// names its line, and leaves the store exactly as it was; a file that imports gets the same
// documents the trigger would have written, and the trigger is back on afterwards.
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { sql } from 'kysely'
import { afterAll, expect, it, vi } from 'vitest'
import type { Ticket } from '../../src/contract/ticket.js'
import { TICKET_COLUMNS, rowToTicket } from '../../src/store/ticket-row.js'
import { PROVIDER_A, ticket } from '../support/fixtures.js'
import { countTickets } from '../support/store-queries.js'
import { describeEachStore } from '../support/stores.js'
import { CLI_TEST_TIMEOUT, runCli, STACK_FRAME, testId, writeTempFile } from './fixtures/cli.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT * 2 })

const LINES = 60_000

/** LINES valid tickets, every 1000th with the characters COPY's text format escapes. */
function largeFile(prefix: string, firstNumber: number, edit: (lines: string[]) => void = () => {}): string {
  const lines = Array.from({ length: LINES }, (_, i) => {
    const t: Ticket = ticket({ id: testId(prefix, i + 1), ticket_number: firstNumber + i })
    if (i % 1000 === 0) t.operator_reference = `tab\there, newline\nthere, backslash \\N and \\t, "quoted", ünïcode ✓ ${i}`
    return JSON.stringify(t)
  })
  edit(lines)
  const path = writeTempFile(`${lines.join('\n')}\n`)
  files.push(path)
  return path
}

const files: string[] = []
afterAll(() => {
  for (const path of files) rmSync(dirname(path), { recursive: true, force: true })
})

describeEachStore('tickets import of a large file (the bulk path)', (ctx) => {
  it('refuses a file whose line 55,555 is not JSON, naming that line, and imports nothing', async () => {
    const before = await countTickets(ctx.store.db)
    const path = largeFile('b1000000', 61_000_000, (lines) => (lines[55_554] = '{"id": '))
    const result = await runCli(['import', path, '--provider', PROVIDER_A], ctx.env)
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain('line 55555: (line): is not valid JSON')
    expect(result.stderr).toContain('nothing was imported')
    expect(result.stderr).not.toMatch(STACK_FRAME)
    expect(await countTickets(ctx.store.db)).toBe(before)
  })

  it('refuses a file whose line 59,999 repeats the id of line 7, naming both, and imports nothing', async () => {
    const before = await countTickets(ctx.store.db)
    const path = largeFile('b2000000', 62_000_000, (lines) => {
      lines[59_998] = JSON.stringify(ticket({ id: testId('b2000000', 7), ticket_number: 62_999_999 }))
    })
    const result = await runCli(['import', path, '--provider', PROVIDER_A], ctx.env)
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain('line 59999: id: duplicates the ticket on line 7')
    expect(await countTickets(ctx.store.db)).toBe(before)
  })

  it('imports every line with the documents the trigger writes, and leaves the trigger on', async () => {
    const before = await countTickets(ctx.store.db)
    const result = await runCli(['import', largeFile('b3000000', 63_000_000), '--provider', PROVIDER_A], ctx.env)
    expect(result.code, result.stderr).toBe(0)
    expect(await countTickets(ctx.store.db)).toBe(before + LINES)

    const rows = await ctx.store.db
      .selectFrom('tickets')
      .select([...TICKET_COLUMNS, 'doc'])
      .where('ticket_number', '>=', '63000000')
      .where('ticket_number', '<', String(63_000_000 + LINES))
      .execute()
    expect(rows).toHaveLength(LINES)
    for (const { doc, ...row } of rows) expect(doc).toBe(JSON.stringify(rowToTicket(row)))
    const escaped = rows.find((row) => row.id === testId('b3000000', 1001))!
    expect(escaped.operator_reference).toBe('tab\there, newline\nthere, backslash \\N and \\t, "quoted", ünïcode ✓ 1000')

    const trigger = await sql<{ enabled: string }>`
      SELECT tgenabled AS enabled FROM pg_trigger WHERE tgrelid = 'tickets'::regclass AND tgname = 'tickets_document'`.execute(ctx.store.db)
    expect(trigger.rows).toEqual([{ enabled: 'O' }])
  })
})
