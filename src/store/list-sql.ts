// TicketQuery + scope → the page query and the count query, sharing one WHERE. Column names
// come only from the field registry and every value is a bound parameter.
import { sql, type SelectQueryBuilder } from 'kysely'
import type { AppliedFilter, TicketQuery } from '../domain/ticket-query.js'
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

export function buildPageQuery(db: Db, scope: ProviderScope, query: TicketQuery) {
  let builder = filteredTickets(db, scope, query).select(TICKET_COLUMNS)
  for (const key of query.sort) {
    const column = SORT_FIELDS[key.field].column
    // Nulls last in both directions (PostgreSQL's default puts them first when descending).
    builder = builder.orderBy(column, (order) => (key.direction === 'asc' ? order.asc() : order.desc()).nullsLast())
  }
  // ORDER BY always ends in id, so rows with equal sort keys keep their place between pages.
  return builder
    .orderBy('id', 'asc')
    .limit(query.limit)
    .offset(sql<number>`${String(query.offset)}::bigint`)
}

export function buildCountQuery(db: Db, scope: ProviderScope, query: TicketQuery) {
  return filteredTickets(db, scope, query).select((eb) => eb.fn.countAll<string>().as('total'))
}
