// LedgerStore.writeOnce's writer: one ticket read and changed once, with no transaction held
// across round trips. The read is a plain autocommit SELECT that also returns the row's version
// (`xmin`, which every update of the row changes, whoever makes it); the write is one autocommit
// statement (ticket and event, ticket-change-sql.ts) that matches only that version. A writer
// that lost the race to another writes nothing and is run again. The locking transaction's
// BEGIN, its row lock (itself a write to the row) and COMMIT are gone: two round trips, not four.
import { sql } from 'kysely'
import { preparedStatement } from './drivers/prepared-statements.js'
import type { TicketChanges, TicketRecord } from '../domain/lifecycle/ticket-record.js'
import type { Db } from './database.js'
import { RECORD_COLUMNS, rowToRecord } from './record-row.js'
import { updateTicketRow } from './ticket-change-sql.js'
import type { LockedTicket, NewEvent, TicketWriter, WrittenTicket } from './ticket-ledger.js'

/** Another writer changed the ticket between this writer's read and its write. */
export class LostWriteRace extends Error {
  constructor(ticketId: string) {
    super(`ticket ${ticketId} changed between its read and its write`)
    this.name = 'LostWriteRace'
  }
}

/** The read: the whole record, its document and newest event, and the row's version. */
export const readsTicket = (db: Db) =>
  preparedStatement(
    db
      .selectFrom('tickets')
      .select([...RECORD_COLUMNS, 'doc', 'last_event_id', sql<string>`xmin::text`.as('version')])
      .where('id', '=', '')
      .where('provider_id', '=', ''),
  )

export class OptimisticTicketWriter implements TicketWriter {
  /** The version each ticket had when this writer read it. */
  readonly #versions = new Map<string, string>()
  #wrote = false

  constructor(
    private readonly db: Db,
    /** The prepared read (`readsTicket`), built once per store. */
    private readonly reads: ReturnType<typeof readsTicket>,
    /** Hears the provider of the event once the write (its own transaction) has committed. */
    private readonly committed: (providerIds: readonly string[]) => void,
  ) {}

  async lockTicket(providerId: string, id: string): Promise<LockedTicket | undefined> {
    const [row] = (await this.db.executeQuery(this.reads(id, providerId))).rows
    if (!row) return undefined
    this.#versions.set(id, row.version)
    return { record: rowToRecord(row), document: row.doc, lastEventId: row.last_event_id }
  }

  async updateTicket(before: TicketRecord, changes: TicketChanges, now: Date, event: NewEvent): Promise<WrittenTicket> {
    const version = this.#versions.get(before.id)
    // The write commits at once: a second one could not commit with it, all or nothing.
    if (version === undefined || this.#wrote) throw new Error('writeOnce: its work writes once, a ticket it has read')
    this.#wrote = true
    const written = await updateTicketRow(this.db, before, changes, now, event, version)
    if (!written) throw new LostWriteRace(before.id)
    this.committed([event.providerId])
    return written
  }
}
