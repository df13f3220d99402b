// The PostgreSQL import through COPY (import-copy.ts) runs on a connection of its own: it must
// end that connection whatever happens, roll everything back when the input fails mid-stream
// (the COPY is open then), and wait for locks no longer than any other import. (A backend can
// outlive its closed socket for a moment, hence the polls.)
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ImportFailedError } from '../../src/domain/import-lines.js'
import { ImportLineError } from '../../src/domain/import-errors.js'
import { IMPORT_APPLICATION, importTicketsByCopy } from '../../src/store/import-copy.js'
import type { ImportTicket } from '../../src/store/ticket-transfer.js'
import { PROVIDER_A, ticket } from '../support/fixtures.js'
import { countTickets, getTicket } from '../support/store-queries.js'
import { openTestStore, TEST_DATABASE_URL, type TestStore } from '../support/stores.js'

const suite = TEST_DATABASE_URL ? describe : describe.skip
const id = (n: number) => `c0000000-0000-4000-8000-${String(n).padStart(12, '0')}`

/** `count` tickets in batches of 500, then `end` (a thrown error, as readImportBatches throws at the end). */
async function* batches(count: number, end?: Error): AsyncGenerator<ImportTicket[]> {
  for (let first = 1; first <= count; first += 500) {
    const batch: ImportTicket[] = []
    for (let n = first; n < first + 500 && n <= count; n++)
      batch.push({ line: n, providerId: PROVIDER_A, ticket: ticket({ id: id(n), ticket_number: 80_000_000 + n }) })
    yield batch
  }
  if (end) throw end
}

suite(`import through COPY on PostgreSQL${TEST_DATABASE_URL ? '' : ' [set TICKETS_TEST_DATABASE_URL to run]'}`, () => {
  let base: TestStore
  let url: string
  let admin: pg.Client

  beforeAll(async () => {
    base = await openTestStore('postgres')
    url = base.env.TICKETS_DATABASE_URL!
    admin = new pg.Client({ connectionString: url })
    await admin.connect()
  })
  afterAll(async () => {
    await admin?.end()
    await base?.dispose()
  })

  const importConnections = async () =>
    Number(
      (
        await admin.query<{ n: string }>(
          'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
          [IMPORT_APPLICATION],
        )
      ).rows[0]!.n,
    )

  it('imports every row, reports the counts, and ends its connection', async () => {
    expect(await importTicketsByCopy(url, batches(2_000))).toEqual({ inserted: 2_000, updated: 0, unchanged: 0 })
    expect(await getTicket(base.store.db, { providerId: PROVIDER_A }, id(1_234))).toEqual(
      ticket({ id: id(1_234), ticket_number: 80_001_234 }),
    )
    expect(await importTicketsByCopy(url, batches(2_000))).toEqual({ inserted: 0, updated: 0, unchanged: 2_000 })
    await expect.poll(importConnections, { timeout: 5_000 }).toBe(0)
  })

  it('rolls everything back when the input fails after rows were streamed, and ends its connection', async () => {
    const before = await countTickets(base.store.db)
    const failure = new ImportFailedError([new ImportLineError(3_001, '(line)', 'is not valid JSON')], false)
    await expect(importTicketsByCopy(url, batches(3_000, failure))).rejects.toBe(failure)
    expect(await countTickets(base.store.db)).toBe(before)
    await expect.poll(importConnections, { timeout: 5_000 }).toBe(0)
  })

  it('gives up behind a lock on tickets like any import, and imports nothing', async () => {
    const before = await countTickets(base.store.db)
    await admin.query('BEGIN')
    await admin.query('LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE')
    try {
      await expect(importTicketsByCopy(url, batches(10), undefined, { lockTimeoutMs: 300 })).rejects.toThrow(
        /^gave up after 0\.3 s waiting for a lock on the tickets table/,
      )
    } finally {
      await admin.query('ROLLBACK')
    }
    expect(await countTickets(base.store.db)).toBe(before)
    await expect.poll(importConnections, { timeout: 5_000 }).toBe(0)
  })
})
