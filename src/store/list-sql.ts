// TicketQuery + scope → the page query and the count query, sharing one WHERE. Column names
// come only from the field registry and every value is a bound parameter.
import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely'
import type { AppliedFilter, SortKey, TicketQuery } from '../domain/ticket-query.js'
import { SORT_FIELDS } from '../domain/ticket-fields.js'
import type { Database, Db } from './database.js'
import type { ProviderScope } from './store.js'
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
  const equal = ({ column, value }: (typeof keys)[number]) => (value === null ? sql`${sql.ref(column)} IS NULL` : sql`${sql.ref(column)} = ${value}`)
  const branches = keys.map((key, i) => sql.join([...keys.slice(0, i).map(equal), after(key)], sql` AND `))
  const first = keys[0]!
  const bound =
    !first.nullable && first.value !== null
      ? first.asc
        ? sql`${sql.ref(first.column)} >= ${first.value} AND `
        : sql`${sql.ref(first.column)} <= ${first.value} AND `
      : sql``
  return sql<boolean>`(${bound}(${sql.join(branches.map((b) => sql`(${b})`), sql` OR `)}))`
}

/**
 * One ORDER BY term. Nulls sort last in both directions; NULLS LAST is written only for the
 * nullable columns, because on a NOT NULL column it changes nothing but stops PostgreSQL from
 * reading a descending order off a backward index scan (it would sort the whole provider).
 */
function sortTerm(key: SortKey): RawBuilder<unknown> {
  const { column, nullable } = SORT_FIELDS[key.field]
  return sql`${sql.ref(column)} ${sql.raw(key.direction)}${sql.raw(nullable ? ' nulls last' : '')}`
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

const TIMESTAMP_COLUMNS = new Set(['assigned_at', 'created_at', 'finished_at', 'updated_at'])

/**
 * The page as one JSON array, built by PostgreSQL: the server passes the text through
 * instead of parsing rows and serializing them again. row_to_json keeps the Ticket's field
 * order and writes no whitespace; timestamps get the same RFC 3339 form as rowToTicket
 * (the session is in UTC, so `::text` ends in +00, which becomes Z). string_agg orders by a row_number over
 * the page's own ORDER BY, so the order is guaranteed, not incidental.
 */
export function buildPageJsonQuery(db: Db, scope: ProviderScope, query: TicketQuery) {
  const order = sql.join(
    [
      ...query.sort.map(sortTerm),
      sql`id asc`,
    ],
  )
  const fields = sql.join(
    TICKET_COLUMNS.map((column) =>
      TIMESTAMP_COLUMNS.has(column)
        ? sql`${timestampText(column)} AS ${sql.ref(column)}`
        : sql`${sql.ref(column)} AS ${sql.ref(column)}`,
    ),
  )
  // The last row's sort values (as text) and id, from which the `next` cursor is made.
  const key = sql.join([
    ...query.sort.map((k) => (k.field === 'ticket_number' ? sql`ticket_number::text` : timestampText(SORT_FIELDS[k.field].column))),
    sql`id`,
  ])
  // One row more than the page: whether it exists says if there is a next page, so `next`
  // is null exactly at the end (no empty page to fetch). ord numbers the rows in the page's own
  // ORDER BY; n renumbers them from 1 so the extra row can be left out.
  const page = buildPageQuery(db, scope, { ...query, limit: query.limit + 1 })
    .clearSelect()
    .select([
      sql<string>`row_to_json((SELECT r FROM (SELECT ${fields}) r))::text`.as('json'),
      sql<string>`row_number() OVER (ORDER BY ${order})`.as('ord'),
      sql<string>`json_build_array(${key})::text`.as('key'),
    ])
  const numbered = db
    .selectFrom(page.as('p'))
    .select(['p.json', 'p.key', sql<string>`row_number() OVER (ORDER BY p.ord)`.as('n')])
  const inPage = sql`q.n <= ${query.limit}`
  return db
    .selectFrom(numbered.as('q'))
    .select([
      sql<string>`'[' || coalesce(string_agg(q.json, ',' ORDER BY q.n) FILTER (WHERE ${inPage}), '') || ']'`.as('result'),
      sql<string>`count(*) FILTER (WHERE ${inPage})`.as('rows'),
      sql<boolean>`count(*) > ${query.limit}`.as('more'),
      sql<string | null>`(array_agg(q.key ORDER BY q.n DESC) FILTER (WHERE ${inPage}))[1]`.as('last_key'),
    ])
}

const timestampText = (column: string) => sql`replace(left(${sql.ref(column)}::text, -3), ' ', 'T') || 'Z'`

export function buildCountQuery(db: Db, scope: ProviderScope, query: TicketQuery) {
  return filteredTickets(db, scope, query).select((eb) => eb.fn.countAll<string>().as('total'))
}
