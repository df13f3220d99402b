// The lifecycle's reads over Kysely (see lifecycle-reads.ts). Outsources are confined to the
// provider that outsourced; a ticket's history to the ticket's own provider.
import { sql, type Selectable } from 'kysely'
import type { CancelReason } from '../contract/cancel-reason.js'
import type { Outsource } from '../contract/outsource.js'
import type { CancelReasonsTable, Db } from './database.js'
import type {
  CancelReasonStore,
  OutsourceFilters,
  OutsourceStore,
  Page,
  Partnership,
  PartnershipStore,
  TicketHistoryStore,
} from './lifecycle-reads.js'
import { rowToOutsource } from './record-row.js'
import type { ProviderScope } from './provider-scope.js'
import { timestampToRfc3339 } from './ticket-row.js'

function toCancelReason(row: Selectable<CancelReasonsTable>): CancelReason {
  return {
    id: Number(row.id),
    name: row.name,
    allows_ticket_reopening: row.allows_ticket_reopening,
    customer_fault: row.customer_fault,
    manually_applicable: row.manually_applicable,
  }
}

function toOutsource(row: Parameters<typeof rowToOutsource>[0]): Outsource {
  const record = rowToOutsource(row)
  return {
    id: record.id,
    ticket_id: record.ticket_id,
    provider_id: record.partner_provider_id,
    state: record.state,
    ticket_number: record.ticket_number,
    assigned_at: record.assigned_at,
    cancel_reason_id: record.cancel_reason_id,
    created_at: record.created_at,
    finished_at: record.finished_at,
    operator_channel_id: record.operator_channel_id,
  }
}

const ordered = (a: string, b: string) => (a < b ? [a, b] : [b, a]) as [string, string]

export function lifecycleReads(db: Db): CancelReasonStore & OutsourceStore & PartnershipStore & TicketHistoryStore {
  return {
    async listCancelReasons(page: Page) {
      const [rows, count] = await Promise.all([
        db.selectFrom('cancel_reasons').selectAll().orderBy('id').limit(page.limit).offset(Number(page.offset)).execute(),
        db
          .selectFrom('cancel_reasons')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow(),
      ])
      return { result: rows.map(toCancelReason), total: Number(count.n) }
    },

    async getCancelReason(id: number | bigint) {
      if (BigInt(id) > 2n ** 31n - 1n || BigInt(id) < 1n) return undefined
      const row = await db.selectFrom('cancel_reasons').selectAll().where('id', '=', String(id)).executeTakeFirst()
      return row && toCancelReason(row)
    },

    async addCancelReason(reason) {
      const row = await db
        .insertInto('cancel_reasons')
        .values({
          // Without an id: the smallest free one from 100 up (ids given explicitly may leave gaps).
          id:
            reason.id !== undefined
              ? String(reason.id)
              : sql<string>`(SELECT min(c.id) FROM (SELECT 100::bigint AS id UNION ALL SELECT id + 1 FROM cancel_reasons WHERE id >= 100) c
                 WHERE NOT EXISTS (SELECT 1 FROM cancel_reasons r WHERE r.id = c.id))`,
          name: reason.name,
          allows_ticket_reopening: reason.allows_ticket_reopening,
          customer_fault: reason.customer_fault,
          manually_applicable: reason.manually_applicable,
          system_use: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      return toCancelReason(row)
    },

    async listOutsources(scope: ProviderScope, filters: OutsourceFilters, page: Page) {
      let query = db.selectFrom('outsources').where('provider_id', '=', scope.providerId)
      if (filters.ticket_id !== undefined) query = query.where('ticket_id', '=', filters.ticket_id)
      if (filters.state !== undefined) query = query.where('state', '=', filters.state)
      if (filters.provider_id !== undefined) query = query.where('partner_provider_id', '=', filters.provider_id)
      const [rows, count] = await Promise.all([
        query.selectAll().orderBy('created_at').orderBy('id').limit(page.limit).offset(Number(page.offset)).execute(),
        query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
      ])
      return { result: rows.map(toOutsource), total: Number(count.n) }
    },

    async getOutsource(scope: ProviderScope, id: string) {
      const row = await db
        .selectFrom('outsources')
        .selectAll()
        .where('id', '=', id)
        .where('provider_id', '=', scope.providerId)
        .executeTakeFirst()
      return row && toOutsource(row)
    },

    async addPartnership(providerId: string, partnerId: string) {
      const [first, second] = ordered(providerId, partnerId)
      const row = await db
        .insertInto('provider_partnerships')
        .values({ provider_id: first, partner_id: second })
        .onConflict((conflict) => conflict.doNothing())
        .returning('provider_id')
        .executeTakeFirst()
      return row !== undefined
    },

    async removePartnership(providerId: string, partnerId: string) {
      const [first, second] = ordered(providerId, partnerId)
      const row = await db
        .deleteFrom('provider_partnerships')
        .where('provider_id', '=', first)
        .where('partner_id', '=', second)
        .returning('provider_id')
        .executeTakeFirst()
      return row !== undefined
    },

    async listPartnerships(providerId?: string): Promise<Partnership[]> {
      let query = db.selectFrom('provider_partnerships').selectAll()
      if (providerId !== undefined)
        query = query.where((eb) => eb.or([eb('provider_id', '=', providerId), eb('partner_id', '=', providerId)]))
      const rows = await query.orderBy('created_at').orderBy('provider_id').orderBy('partner_id').execute()
      return rows.map((row) => ({ providerId: row.provider_id, partnerId: row.partner_id, createdAt: timestampToRfc3339(row.created_at) }))
    },

    async ticketEvents(scope: ProviderScope, ticketId: string, options: { limit: number; afterId?: string }) {
      const ticket = await db
        .selectFrom('tickets')
        .select('id')
        .where('id', '=', ticketId)
        .where('provider_id', '=', scope.providerId)
        .executeTakeFirst()
      if (!ticket) return undefined
      let query = db.selectFrom('ticket_events').select('doc').where('ticket_id', '=', ticketId)
      if (options.afterId !== undefined) query = query.where('id', '>', options.afterId)
      const rows = await query.orderBy('id').limit(options.limit).execute()
      return rows.map((row) => row.doc)
    },
  }
}
