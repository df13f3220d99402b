// The `total` of a list query. For the filters partners poll with, it is read from the
// counters that migration 0002 maintains in the same transaction as every write, so its cost
// does not grow with the number of matching tickets; date ranges add an exact count of the
// two partial edge days only. Any other filter combination counts the matching rows.
import { sql, type RawBuilder } from 'kysely'
import type { AppliedFilter, TicketQuery } from '../domain/ticket-query.js'
import type { FilterName } from '../domain/ticket-fields.js'
import type { Db } from './database.js'
import { buildCountQuery } from './list-sql.js'
import type { ProviderScope } from './provider-scope.js'

type Strategy =
  | { kind: 'counts'; table: 'ticket_counts' | 'ticket_counts_by_customer' }
  | {
      kind: 'days'
      table: 'ticket_counts_by_created_day' | 'ticket_counts_by_updated_day'
      column: 'created_at' | 'updated_at'
      after?: string
      before?: string
    }
  | { kind: 'scan' }

/** Filters every counter table is keyed by. */
const KEY_FILTERS = new Set<FilterName>(['state', 'externally_processed'])

export function countStrategy(filters: readonly AppliedFilter[]): Strategy {
  const others = filters.filter((f) => !KEY_FILTERS.has(f.name))
  const names = new Set(others.map((f) => f.name))
  if (names.size === 0) return { kind: 'counts', table: 'ticket_counts' }
  if (names.size === 1 && names.has('customer_id')) return { kind: 'counts', table: 'ticket_counts_by_customer' }
  for (const [column, table] of [
    ['created_at', 'ticket_counts_by_created_day'],
    ['updated_at', 'ticket_counts_by_updated_day'],
  ] as const) {
    const prefix = column.replace('_at', '')
    if ([...names].every((name) => name === `${prefix}_after` || name === `${prefix}_before`)) {
      const after = others.find((f) => f.name === `${prefix}_after`)?.value as string | undefined
      const before = others.find((f) => f.name === `${prefix}_before`)?.value as string | undefined
      return { kind: 'days', table, column, ...(after ? { after } : {}), ...(before ? { before } : {}) }
    }
  }
  return { kind: 'scan' }
}

/** `AND state = any(…) AND externally_processed = …` for whichever key filters are present. */
function keyConditions(filters: readonly AppliedFilter[], prefix = ''): RawBuilder<unknown> {
  const parts = filters
    .filter((f) => KEY_FILTERS.has(f.name))
    .map((f) =>
      f.name === 'state'
        ? sql` AND ${sql.ref(`${prefix}state`)} = any(${f.value})`
        : sql` AND ${sql.ref(`${prefix}externally_processed`)} = ${f.value}`,
    )
  return sql.join(parts, sql``)
}

const midnightAfter = (instant: string) => sql`((${instant}::timestamptz AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC'`
const midnightOf = (instant: string) => sql`((${instant}::timestamptz AT TIME ZONE 'UTC')::date)::timestamp AT TIME ZONE 'UTC'`
const dayOf = (instant: string) => sql`(${instant}::timestamptz AT TIME ZONE 'UTC')::date`

/**
 * The exact `total` as one scalar SQL expression (a parenthesized subquery), so that the page
 * query can carry it as a column: page and total then come from one statement, one round trip
 * and one snapshot.
 */
export function totalExpression(db: Db, scope: ProviderScope, query: TicketQuery): RawBuilder<string> {
  const strategy = countStrategy(query.filters)
  if (strategy.kind === 'scan') return sql<string>`(${buildCountQuery(db, scope, query)})`
  const keys = keyConditions(query.filters)
  if (strategy.kind === 'counts') {
    const customer = query.filters.find((f) => f.name === 'customer_id')
    return sql<string>`(SELECT coalesce(sum(n), 0) FROM ${sql.table(strategy.table)}
      WHERE provider_id = ${scope.providerId}${customer ? sql` AND customer_id = ${customer.value}` : sql``}${keys})`
  }
  // Partition the range into: the rest of the first day (exact), whole days strictly between
  // (counters), the start of the last day (exact). Same-day ranges are one exact count.
  const { after, before, column, table } = strategy
  const col = sql.ref(column)
  const days = sql`SELECT coalesce(sum(n), 0) FROM ${sql.table(table)} WHERE provider_id = ${scope.providerId}${keys}
    ${after ? sql`AND day > ${dayOf(after)}` : sql``} ${before ? sql`AND day < ${dayOf(before)}` : sql``}`
  const exact = (lower: RawBuilder<unknown>, upper: RawBuilder<unknown>) =>
    sql`SELECT count(*) FROM tickets WHERE provider_id = ${scope.providerId}${keys} AND ${lower} AND ${upper}`
  const firstDay = after
    ? exact(
        sql`${col} > ${after}::timestamptz`,
        before ? sql`${col} < least(${before}::timestamptz, ${midnightAfter(after)})` : sql`${col} < ${midnightAfter(after)}`,
      )
    : sql`SELECT 0`
  const lastDay = before
    ? exact(
        sql`${col} >= ${midnightOf(before)}`,
        after ? sql`${col} < ${before}::timestamptz AND ${dayOf(before)} > ${dayOf(after)}` : sql`${col} < ${before}::timestamptz`,
      )
    : sql`SELECT 0`
  return sql<string>`((${days}) + (${firstDay}) + (${lastDay}))::bigint`
}

export async function countTickets(db: Db, scope: ProviderScope, query: TicketQuery): Promise<number> {
  const result = await sql<{ total: string }>`SELECT ${totalExpression(db, scope, query)} AS total`.execute(db)
  return Number(result.rows[0]!.total)
}
