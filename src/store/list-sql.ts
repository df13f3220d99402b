// TicketQuery + scope → the page query and the count query, sharing one WHERE. Column names
// come only from the field registry and every value is a bound parameter.
import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely'
import type { AppliedFilter, SortKey, TicketQuery } from '../domain/ticket-query.js'
import { SORT_FIELDS } from '../domain/ticket-fields.js'
import type { Database, Db } from './database.js'
import type { ProviderScope } from './provider-scope.js'
import { TICKET_COLUMNS } from './ticket-row.js'

type TicketsQuery = SelectQueryBuilder<Database, 'tickets', object>

// int64 values travel as text: node-postgres and PGlite would both mangle a bigint.
const bindable = (value: unknown) => (typeof value === 'bigint' || typeof value === 'number' ? String(value) : value)

function applyFilter(query: TicketsQuery, { def, value }: AppliedFilter): TicketsQuery {
  const column = def.column
  switch (def.op) {
    // = ANY($n) rather than IN (...): one parameter, one plan whatever the list length.
    case 'any':
      return query.where(column, '=', sql<never>`any(${value})`)
    case 'gt':
      return query.where(column, '>', value as never)
    case 'lt':
      return query.where(column, '<', value as never)
    case 'eq':
      return value === null ? query.where(column, 'is', null) : query.where(column, '=', bindable(value) as never)
  }
}

export function filteredTickets(db: Db, scope: ProviderScope, query: TicketQuery): TicketsQuery {
  let builder: TicketsQuery = db.selectFrom('tickets').where('provider_id', '=', scope.providerId)
  for (const filter of query.filters) builder = applyFilter(builder, filter)
  return builder
}

const castOf = (field: string) => (field === 'ticket_number' ? 'bigint' : 'timestamptz')

/**
 * Rows strictly after the cursor in the sort order (nulls last, id ascending last):
 * (k1 after c1) OR (k1 = c1 AND k2 after c2) OR … OR (all equal AND id > c_id), plus a plain
 * range bound on the first key so that an index scan starts at the cursor instead of the top.
 */
function afterCursor(query: TicketQuery): RawBuilder<boolean> {
  const position = query.after!
  const keys = [
    ...query.sort.map((key, i) => ({
      column: SORT_FIELDS[key.field].column,
      asc: key.direction === 'asc',
      nullable: SORT_FIELDS[key.field].nullable as boolean,
      value: position.values[i] === null ? null : sql`${position.values[i]}::${sql.raw(castOf(key.field))}`,
    })),
    { column: 'id', asc: true, nullable: false, value: sql`${position.id}::uuid` },
  ]
  const after = ({ column, asc, nullable, value }: (typeof keys)[number]) => {
    if (value === null) return sql`false`
    const beyond = asc ? sql`${sql.ref(column)} > ${value}` : sql`${sql.ref(column)} < ${value}`
    return nullable ? sql`(${beyond} OR ${sql.ref(column)} IS NULL)` : beyond
  }
  const equal = ({ column, value }: (typeof keys)[number]) =>
    value === null ? sql`${sql.ref(column)} IS NULL` : sql`${sql.ref(column)} = ${value}`
  const branches = keys.map((key, i) => sql.join([...keys.slice(0, i).map(equal), after(key)], sql` AND `))
  const first = keys[0]!
  const bound =
    !first.nullable && first.value !== null
      ? first.asc
        ? sql`${sql.ref(first.column)} >= ${first.value} AND `
        : sql`${sql.ref(first.column)} <= ${first.value} AND `
      : sql``
  return sql<boolean>`(${bound}(${sql.join(
    branches.map((b) => sql`(${b})`),
    sql` OR `,
  )}))`
}

/**
 * One ORDER BY term. Nulls sort last in both directions; NULLS LAST is written only for the
 * nullable columns, because on a NOT NULL column it changes nothing but stops PostgreSQL from
 * reading a descending order off a backward index scan (it would sort the whole provider).
 */
function sortTerm(key: SortKey, table?: string): RawBuilder<unknown> {
  const { column, nullable } = SORT_FIELDS[key.field]
  return sql`${sql.ref(table ? `${table}.${column}` : column)} ${sql.raw(key.direction)}${sql.raw(nullable ? ' nulls last' : '')}`
}

export function buildPageQuery(db: Db, scope: ProviderScope, query: TicketQuery) {
  let builder = filteredTickets(db, scope, query).select(TICKET_COLUMNS)
  if (query.after) builder = builder.where(afterCursor(query))
  for (const key of query.sort) builder = builder.orderBy(sortTerm(key))
  // ORDER BY always ends in id, so rows with equal sort keys keep their place between pages.
  return builder
    .orderBy('id', 'asc')
    .limit(query.limit)
    .offset(sql<number>`${String(query.offset)}::bigint`)
}

/**
 * The page as stored documents (migration 0005), in page order, with the exact total beside
 * each row: `limit + 1` rows, so that the extra row tells whether a next page exists (`next` is
 * null exactly at the end, with no empty page to fetch). The outermost query carries the
 * ORDER BY, so the order is guaranteed; the total is an uncorrelated subquery, evaluated once.
 *
 * With an offset, the skipped rows are walked on the sort index alone (ids and sort keys, an
 * index-only scan) and documents are fetched for the page's rows only: otherwise every skipped
 * row would be read from the heap.
 */
export function buildPageDocsQuery(db: Db, scope: ProviderScope, query: TicketQuery, total: RawBuilder<string>) {
  const page = { ...query, limit: query.limit + 1 }
  if (query.offset === 0)
    return buildPageQuery(db, scope, page)
      .clearSelect()
      .select(['doc', total.as('total')])
  const sortColumns = query.sort.map((key) => SORT_FIELDS[key.field].column)
  const keys = buildPageQuery(db, scope, page)
    .clearSelect()
    .select(['id', ...sortColumns])
  let builder = db
    .selectFrom(keys.as('p'))
    .innerJoin('tickets as t', 't.id', 'p.id')
    .select(['t.doc', total.as('total')])
  for (const key of query.sort) builder = builder.orderBy(sortTerm(key, 'p'))
  return builder.orderBy('p.id', 'asc')
}

export function buildCountQuery(db: Db, scope: ProviderScope, query: TicketQuery) {
  return filteredTickets(db, scope, query).select((eb) => eb.fn.countAll<string>().as('total'))
}
