// TicketLedger over one Kysely transaction. Every statement names what it touches by primary
// key (and by provider where the caller is confined to one), and a change and its event are
// written by a single statement (ticket-change-sql.ts). writeOnce, the PATCH's way, is in
// ticket-writer-sql.ts: no transaction held across round trips, a version instead of a lock.
import { sql, type Transaction } from 'kysely'
import type { TicketChanges } from '../domain/lifecycle/ticket-record.js'
import type { Database, Db } from './database.js'
import { int64Param, RECORD_COLUMNS, rowToOutsource, rowToRecord } from './record-row.js'
import { EVENT_COLUMNS, eventFrom, updateTicketRow } from './ticket-change-sql.js'
import { LostWriteRace, OptimisticTicketWriter, readsTicket } from './ticket-writer-sql.js'
import {
  RetryTransaction,
  type CancelReasonRecord,
  type LedgerStore,
  type LockedTicket,
  type NewEvent,
  type NewTicketRecord,
  type OutsourceRecord,
  type StoredResponse,
  type TicketLedger,
  type TicketWriter,
  type WrittenTicket,
} from './ticket-ledger.js'

type Trx = Transaction<Database>

const RETRIES = 5
/** How many times writeOnce loses the race for a ticket before it takes the ticket's lock. */
const OPTIMISTIC_ATTEMPTS = 3
// deadlock_detected, serialization_failure
const RETRYABLE = new Set(['40P01', '40001'])

function reasonRecord(row: { id: string } & Omit<CancelReasonRecord, 'id'>): CancelReasonRecord {
  return { ...row, id: Number(row.id) }
}

function newTicketRow(ticket: NewTicketRecord, lastEventId: string) {
  return {
    id: ticket.id,
    last_event_id: lastEventId,
    provider_id: ticket.provider_id,
    assigned_at: ticket.assigned_at,
    cancel_reason_id: ticket.cancel_reason_id,
    connection_id: ticket.connection_id,
    created_at: ticket.created_at,
    customer_channel_id: ticket.customer_channel_id,
    customer_connector_id: ticket.customer_connector_id,
    customer_id: ticket.customer_id,
    customer_reference: ticket.customer_reference,
    external_reference: ticket.external_reference,
    externally_processed: ticket.externally_processed,
    finished_at: ticket.finished_at,
    operator_channel_id: ticket.operator_channel_id,
    operator_id: ticket.operator_id,
    operator_reference: ticket.operator_reference,
    outsourced: ticket.outsourced,
    source_provider_id: ticket.source_provider_id,
    state: ticket.state,
    ticket_number: String(ticket.ticket_number),
    updated_at: ticket.created_at,
    vehicle_model_id: String(ticket.vehicle_model_id),
    vin: ticket.vin,
    voucher_code: ticket.voucher_code,
    preparer_external_reference: ticket.preparer_external_reference,
    service_started_at: ticket.service_started_at,
    vehicle_battery_voltage: ticket.vehicle_battery_voltage,
    parent_ticket_id: ticket.parent_ticket_id,
    parent_ticket_number: int64Param(ticket.parent_ticket_number),
  }
}

class SqlTicketLedger implements TicketLedger {
  constructor(
    private readonly trx: Trx,
    /** The providers whose events this transaction wrote, told to the listeners once it commits. */
    readonly eventProviders = new Set<string>(),
  ) {}

  async #lock(id: string, providerId?: string): Promise<LockedTicket | undefined> {
    let query = this.trx
      .selectFrom('tickets')
      .select([...RECORD_COLUMNS, 'doc', 'last_event_id'])
      .where('id', '=', id)
    if (providerId !== undefined) query = query.where('provider_id', '=', providerId)
    const row = await query.forUpdate().executeTakeFirst()
    if (!row) return undefined
    // last_event_id is a column of the locked row, so after waiting for another writer this read
    // sees that writer's event (a subquery on ticket_events would read the snapshot from before
    // the wait, and the next id could sort before the one it missed).
    return { record: rowToRecord(row), document: row.doc, lastEventId: row.last_event_id }
  }

  lockTicket(providerId: string, id: string) {
    return this.#lock(id, providerId)
  }

  lockLinkedTicket(id: string) {
    return this.#lock(id)
  }

  async updateTicket(before: NewTicketRecord, changes: TicketChanges, now: Date, event: NewEvent): Promise<WrittenTicket> {
    // The row is locked: the statement always finds it.
    const written = await updateTicketRow(this.trx, before, changes, now, event)
    if (!written) throw new Error(`ticket ${before.id} vanished under its lock`)
    this.eventProviders.add(event.providerId)
    return written
  }

  async insertTicket(ticket: NewTicketRecord, event: NewEvent): Promise<WrittenTicket> {
    const row = await this.trx
      .with('inserted', (db) =>
        db
          .insertInto('tickets')
          .values(newTicketRow(ticket, event.id))
          .returning([...RECORD_COLUMNS, 'doc']),
      )
      .with('appended', (db) => db.insertInto('ticket_events').columns(EVENT_COLUMNS).expression(eventFrom('inserted', event)))
      .selectFrom('inserted')
      .selectAll()
      .executeTakeFirstOrThrow()
    this.eventProviders.add(event.providerId)
    return { record: rowToRecord(row), document: row.doc }
  }

  async nextTicketNumber(): Promise<number | bigint> {
    const { rows } = await sql<{ n: string }>`SELECT nextval('ticket_numbers')::text AS n`.execute(this.trx)
    const n = BigInt(rows[0]!.n)
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n
  }

  async cancelReason(id: number | bigint): Promise<CancelReasonRecord | undefined> {
    const row = await this.trx.selectFrom('cancel_reasons').selectAll().where('id', '=', String(id)).executeTakeFirst()
    return row && reasonRecord(row)
  }

  async systemCancelReason(use: 'reclaim' | 'automatic'): Promise<CancelReasonRecord> {
    const row = await this.trx.selectFrom('cancel_reasons').selectAll().where('system_use', '=', use).executeTakeFirstOrThrow()
    return reasonRecord(row)
  }

  async arePartners(providerId: string, partnerId: string): Promise<boolean> {
    const [first, second] = providerId < partnerId ? [providerId, partnerId] : [partnerId, providerId]
    const row = await this.trx
      .selectFrom('provider_partnerships')
      .select('provider_id')
      .where('provider_id', '=', first)
      .where('partner_id', '=', second)
      .executeTakeFirst()
    return row !== undefined
  }

  async insertOutsource(outsource: OutsourceRecord): Promise<void> {
    await this.trx
      .insertInto('outsources')
      .values({ ...outsource, ticket_number: String(outsource.ticket_number) })
      .execute()
  }

  async activeOutsource(by: { ticketId: string } | { partnerTicketId: string }): Promise<OutsourceRecord | undefined> {
    const row = await this.trx
      .selectFrom('outsources')
      .selectAll()
      .$call((query) =>
        'ticketId' in by ? query.where('ticket_id', '=', by.ticketId) : query.where('partner_ticket_id', '=', by.partnerTicketId),
      )
      .where('state', 'in', ['pending', 'in_progress'])
      .forUpdate()
      .executeTakeFirst()
    return row && rowToOutsource(row)
  }

  async updateOutsource(id: string, changes: Partial<Pick<OutsourceRecord, 'state' | 'assigned_at' | 'cancel_reason_id' | 'finished_at'>>) {
    await this.trx.updateTable('outsources').set(changes).where('id', '=', id).execute()
  }

  async storedResponse(clientId: string, key: string, since: Date): Promise<StoredResponse | undefined> {
    const row = await this.trx
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'status', 'location', 'body'])
      .where('client_id', '=', clientId)
      .where('key', '=', key)
      .where('created_at', '>=', since.toISOString())
      .executeTakeFirst()
    return row && { requestHash: row.request_hash, status: row.status, location: row.location, body: row.body }
  }

  async storeResponse(clientId: string, key: string, response: StoredResponse, now: Date, since: Date): Promise<boolean> {
    // An expired answer under the same key is replaced; a live one means a concurrent request
    // with this key committed first (its unique-index entry made this insert wait for it).
    const row = await this.trx
      .insertInto('idempotency_keys')
      .values({
        client_id: clientId,
        key,
        request_hash: response.requestHash,
        status: response.status,
        location: response.location,
        body: response.body,
        created_at: now.toISOString(),
      })
      .onConflict((conflict) =>
        conflict
          .columns(['client_id', 'key'])
          .doUpdateSet({
            request_hash: response.requestHash,
            status: response.status,
            location: response.location,
            body: response.body,
            created_at: now.toISOString(),
          })
          .where('idempotency_keys.created_at', '<', since.toISOString()),
      )
      .returning('key')
      .executeTakeFirst()
    return row !== undefined
  }
}

/**
 * `committed` hears, after each transaction that wrote events has committed, the providers
 * whose events it wrote (never for one that rolled back: its events never existed).
 */
export function sqlLedgerStore(db: Db, committed: (providerIds: readonly string[]) => void = () => {}): LedgerStore {
  const reads = readsTicket(db)
  return {
    transact,
    async writeOnce<T>(work: (writer: TicketWriter) => Promise<T>): Promise<T> {
      for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
        try {
          return await work(new OptimisticTicketWriter(db, reads, committed))
        } catch (error) {
          if (!(error instanceof LostWriteRace)) throw error
        }
      }
      // A ticket this contended is written under its lock, where waiting is fair.
      return transact(work)
    },
  }

  async function transact<T>(work: (ledger: TicketLedger) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        let ledger: SqlTicketLedger | undefined
        const result = await db.transaction().execute((trx) => work((ledger = new SqlTicketLedger(trx))))
        if (ledger && ledger.eventProviders.size > 0) committed([...ledger.eventProviders])
        return result
      } catch (error) {
        const code = (error as { code?: unknown }).code
        const retryable = error instanceof RetryTransaction || (typeof code === 'string' && RETRYABLE.has(code))
        if (!retryable || attempt >= RETRIES) throw error
      }
    }
  }
}
