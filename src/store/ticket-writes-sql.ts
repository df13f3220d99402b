// TicketWrites over Kysely: the PATCH as one transaction that locks the row, checks the
// caller's precondition against it, and writes (update-sql.ts holds the UPDATE itself).
import type { Ticket } from '../contract/ticket.js'
import type { TicketPatch } from '../contract/ticket-patch.js'
import type { Db } from './database.js'
import type { ProviderScope } from './provider-scope.js'
import { rowToTicket, TICKET_COLUMNS } from './ticket-row.js'
import type { TicketWrites, UpdateOutcome } from './ticket-writes.js'
import { updateTicketRow } from './update-sql.js'

export function ticketWritesSql(db: Db): TicketWrites {
  return {
    async updateTicket(
      scope: ProviderScope,
      id: string,
      patch: TicketPatch,
      options: { now: Date; precondition?: (current: Ticket) => boolean },
    ): Promise<UpdateOutcome> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('tickets')
          .select(TICKET_COLUMNS)
          .where('id', '=', id)
          .where('provider_id', '=', scope.providerId)
          .forUpdate()
          .executeTakeFirst()
        if (!row) return { status: 'not-found' } as const
        const current = rowToTicket(row)
        if (options.precondition && !options.precondition(current)) return { status: 'precondition-failed', ticket: current } as const
        const updated = await updateTicketRow(trx, scope.providerId, id, patch, options.now)
        // Unreachable while the row is locked above; kept so that the guard can never be silent.
        if (!updated) return { status: 'not-found' } as const
        return { status: 'updated', ticket: rowToTicket(updated) } as const
      })
    },
  }
}
