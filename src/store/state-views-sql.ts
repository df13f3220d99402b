// StateViewStore over Kysely. A view's page is the list endpoint's page (list-sql.ts) with the
// view's state as one more filter, so it uses the same indexes, and its total the same exact
// counters (count-sql.ts); the page's ids are then joined back to the tickets for the view's
// columns, and, for the outsourced view, to the active outsource and the partner's ticket.
import { sql, type RawBuilder } from 'kysely'
import type { StateView, ViewField } from '../domain/state-views.js'
import { FILTERS } from '../domain/ticket-fields.js'
import type { AppliedFilter, TicketQuery } from '../domain/ticket-query.js'
import { toSafeInteger } from '../domain/values.js'
import { countTickets, totalExpression } from './count-sql.js'
import type { Db } from './database.js'
import { buildPageQuery } from './list-sql.js'
import type { ProviderScope } from './provider-scope.js'
import type { StateViewItem, StateViewStore } from './state-views.js'
import { timestampToRfc3339 } from './ticket-row.js'

type Wire = 'plain' | 'timestamp' | 'int64'

interface Column {
  expression: RawBuilder<unknown>
  wire: Wire
  /** Reads the active outsource (`o`) and the partner's ticket (`pt`). */
  outsource?: true
}

const ticketColumn = (field: string, wire: Wire = 'plain'): Column => ({ expression: sql.ref(`t.${field}`), wire })
const outsourceColumn = (expression: RawBuilder<unknown>): Column => ({ expression, wire: 'plain', outsource: true })

/** How each item field is read. */
const COLUMNS: Record<ViewField, Column> = {
  id: ticketColumn('id'),
  assigned_at: ticketColumn('assigned_at', 'timestamp'),
  cancel_reason_id: ticketColumn('cancel_reason_id'),
  connection_id: ticketColumn('connection_id'),
  created_at: ticketColumn('created_at', 'timestamp'),
  customer_channel_id: ticketColumn('customer_channel_id'),
  customer_connector_id: ticketColumn('customer_connector_id'),
  customer_id: ticketColumn('customer_id'),
  customer_reference: ticketColumn('customer_reference'),
  external_reference: ticketColumn('external_reference'),
  externally_processed: ticketColumn('externally_processed'),
  finished_at: ticketColumn('finished_at', 'timestamp'),
  operator_channel_id: ticketColumn('operator_channel_id'),
  operator_id: ticketColumn('operator_id'),
  operator_reference: ticketColumn('operator_reference'),
  outsourced: ticketColumn('outsourced'),
  source_provider_id: ticketColumn('source_provider_id'),
  state: ticketColumn('state'),
  ticket_number: ticketColumn('ticket_number', 'int64'),
  updated_at: ticketColumn('updated_at', 'timestamp'),
  vehicle_model_id: ticketColumn('vehicle_model_id', 'int64'),
  vin: ticketColumn('vin'),
  voucher_code: ticketColumn('voucher_code'),
  preparer_external_reference: ticketColumn('preparer_external_reference'),
  // Imported tickets have no service_started_at; an in_progress ticket always has assigned_at.
  service_started_at: { expression: sql`coalesce(t.service_started_at, t.assigned_at)`, wire: 'timestamp' },
  vehicle_battery_voltage: ticketColumn('vehicle_battery_voltage'),
  outsource_provider_id: outsourceColumn(sql`o.partner_provider_id`),
  outsource_ticket_id: outsourceColumn(sql`o.partner_ticket_id`),
  // Exactly the condition reclaim checks (domain/lifecycle/outsourcing.ts).
  reclaimable: outsourceColumn(sql`coalesce(o.assigned_at IS NULL AND pt.state = 'pending', false)`),
}

function selection(view: StateView): RawBuilder<unknown> {
  return sql.join(view.fields.map((field) => sql`${COLUMNS[field].expression} AS ${sql.id(field)}`))
}

/** The active outsource (at most one: outsources_one_active) and the partner's ticket, when the view reads them. */
function joins(view: StateView): RawBuilder<unknown> {
  if (!view.fields.some((field) => COLUMNS[field].outsource)) return sql``
  return sql`LEFT JOIN outsources o ON o.ticket_id = t.id AND o.provider_id = t.provider_id AND o.state IN ('pending', 'in_progress')
    LEFT JOIN tickets pt ON pt.id = o.partner_ticket_id`
}

function toItem(view: StateView, row: Record<string, unknown>): StateViewItem {
  const item: StateViewItem = {}
  for (const field of view.fields) {
    const value = row[field]
    const { wire } = COLUMNS[field]
    item[field] =
      value === null || wire === 'plain'
        ? value
        : wire === 'timestamp'
          ? timestampToRfc3339(value as string)
          : toSafeInteger(BigInt(value as string))
  }
  return item
}

const stateFilter = (view: StateView): AppliedFilter => ({ name: 'state', def: FILTERS.state, value: [view.state] })

export function stateViewsSql(db: Db): StateViewStore {
  return {
    async listStateView(scope: ProviderScope, view: StateView, query: TicketQuery) {
      const viewQuery: TicketQuery = { ...query, filters: [...query.filters, stateFilter(view)] }
      if (query.limit === 0) return { result: [], total: await countTickets(db, scope, viewQuery) }
      const page = buildPageQuery(db, scope, viewQuery).clearSelect().select(['id', 'created_at'])
      const { rows } = await sql<Record<string, unknown> & { total: string }>`
        SELECT ${selection(view)}, ${totalExpression(db, scope, viewQuery)} AS total
        FROM ${page} AS p JOIN tickets t ON t.id = p.id ${joins(view)}
        ORDER BY p.created_at, p.id`.execute(db)
      // An empty page carries no total: past the end it is counted on its own.
      const total = rows.length > 0 ? Number(rows[0]!.total) : await countTickets(db, scope, viewQuery)
      return { result: rows.map((row) => toItem(view, row)), total }
    },

    async getStateViewItem(scope: ProviderScope, view: StateView, id: string) {
      const { rows } = await sql<Record<string, unknown>>`
        SELECT ${selection(view)} FROM tickets t ${joins(view)}
        WHERE t.id = ${id} AND t.provider_id = ${scope.providerId} AND t.state = ${view.state}`.execute(db)
      return rows[0] && toItem(view, rows[0])
    },
  }
}
