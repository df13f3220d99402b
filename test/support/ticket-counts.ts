// Comparing the maintained counters behind `total` with a plain count(*): for every provider
// and every query, the counted answer must equal the scanned one (and must not be a scan).
import { expect } from 'vitest'
import { seededRandom } from '../../src/demo/generate-tickets.js'
import { parseTicketQuery } from '../../src/domain/ticket-query.js'
import { countStrategy, countTickets } from '../../src/store/count-sql.js'
import type { Db } from '../../src/store/database.js'
import { buildCountQuery } from '../../src/store/list-sql.js'

/**
 * Queries for every counting strategy: no filter, state, processing, customer, and created /
 * updated date bounds drawn (seeded) from the `spanDays` days starting at `from`.
 */
export function countQueries(options: { customers: string[]; from: string; spanDays: number; seed?: number }): string[] {
  const random = seededRandom(options.seed ?? 99)
  const start = Date.parse(options.from)
  const instant = () => new Date(start + Math.floor(random() * options.spanDays * 86_400_000)).toISOString()
  const list = ['', 'state=closed', 'state=pending,in_progress&externally_processed=false', 'externally_processed=true']
  for (const customer of options.customers)
    list.push(`customer_id=${customer}`, `customer_id=${customer}&state=closed,cancelled&externally_processed=false`)
  for (let i = 0; i < 6; i++) {
    const [a, b] = [instant(), instant()].sort()
    list.push(
      `created_after=${a}`,
      `created_before=${b}&state=closed`,
      `created_after=${a}&created_before=${b}`,
      `updated_after=${a}&updated_before=${b}&externally_processed=false`,
    )
  }
  return list
}

/** Every query's maintained count equals its full count, for each provider. */
export async function expectCountsExact(db: Db, providers: string[], queries: string[]): Promise<void> {
  for (const providerId of providers) {
    for (const q of queries) {
      const query = parseTicketQuery(q)
      expect(countStrategy(query.filters).kind).not.toBe('scan')
      const scanned = Number((await buildCountQuery(db, { providerId }, query).executeTakeFirstOrThrow()).total)
      expect(await countTickets(db, { providerId }, query), `${providerId} ?${q}`).toBe(scanned)
    }
  }
}
