// TicketWrites over Kysely: the PATCH as one transaction that locks the row, checks the
// caller's precondition against its stored document, and writes (update-sql.ts holds the
// UPDATE itself). Both sides are documents, so the API has one serialization of a ticket.
import type { TicketPatch } from '../contract/ticket-patch.js'
import type { Db } from './database.js'
import type { ProviderScope } from './provider-scope.js'
import type { TicketWrites, UpdateOutcome } from './ticket-writes.js'
import { updateTicketRow } from './update-sql.js'

export function ticketWritesSql(db: Db): TicketWrites {
  return {
    async updateTicket(
      scope: ProviderScope,
      id: string,
      patch: TicketPatch,
      options: { now: Date; precondition?: (currentDocument: string) => boolean },
    ): Promise<UpdateOutcome> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('tickets')
          .select('doc')
          .where('id', '=', id)
          .where('provider_id', '=', scope.providerId)
          .forUpdate()
          .executeTakeFirst()
        if (!row) return { status: 'not-found' } as const
        if (options.precondition && !options.precondition(row.doc)) return { status: 'precondition-failed', document: row.doc } as const
        const updated = await updateTicketRow(trx, scope.providerId, id, patch, options.now)
        // Unreachable while the row is locked above; kept so that the guard can never be silent.
        if (!updated) return { status: 'not-found' } as const
        return { status: 'updated', document: updated.doc } as const
      })
    },
  }
}
