// Outsourcing between partnered providers. Outsourcing creates, in the caller's transaction,
// the partner's ticket and the outsource record and marks the origin outsourced: all three or
// none. Reclaiming takes the ticket back while the partner has not started on it.
import { randomUUID } from 'node:crypto'
import type { OutsourceBody } from '../../contract/transitions.js'
import { AppError } from '../../errors/app-error.js'
import type { LockedTicket, TicketLedger, WrittenTicket } from '../../store/ticket-ledger.js'
import { applyChange, SYSTEM } from './change.js'
import { buildEvent, wireTimestamp } from './events.js'
import { actorOf, type Operation } from './operation.js'
import { notAllowed } from './state-machine.js'
import type { TicketRecord } from './ticket-record.js'

export async function outsourceTicket(
  ledger: TicketLedger,
  operation: Operation,
  locked: LockedTicket,
  body: OutsourceBody,
): Promise<WrittenTicket> {
  const origin = locked.record
  const partnerId = body.provider_id.toLowerCase()
  const refuse = (detail: string) =>
    new AppError('not-partnered', detail, { errors: [{ in: 'body', name: 'provider_id', detail: 'is not a partnered provider' }] })
  if (partnerId === origin.provider_id) throw refuse('A ticket cannot be outsourced to its own provider.')
  if (!(await ledger.arePartners(origin.provider_id, partnerId)))
    throw refuse(`Provider ${partnerId} is not a partner of yours; outsourcing needs a partnership (tickets partners add).`)

  const at = wireTimestamp(operation.now)
  const partnerTicket: Omit<TicketRecord, 'updated_at'> = {
    id: randomUUID(),
    provider_id: partnerId,
    assigned_at: null,
    cancel_reason_id: null,
    connection_id: null,
    created_at: at,
    customer_channel_id: null,
    customer_connector_id: null,
    customer_id: origin.customer_id,
    customer_reference: '',
    external_reference: '',
    externally_processed: false,
    finished_at: null,
    operator_channel_id: randomUUID(),
    operator_id: null,
    operator_reference: '',
    outsourced: false,
    source_provider_id: origin.provider_id,
    state: 'pending',
    ticket_number: await ledger.nextTicketNumber(),
    vehicle_model_id: origin.vehicle_model_id,
    vin: origin.vin,
    voucher_code: origin.voucher_code,
    preparer_external_reference: '',
    service_started_at: null,
    vehicle_battery_voltage: null,
    parent_ticket_id: origin.id,
    parent_ticket_number: origin.ticket_number,
  }
  const created = { ...partnerTicket, updated_at: at }
  await ledger.insertTicket(
    partnerTicket,
    buildEvent({ type: 'tickets.ticket.created', before: undefined, after: created, actor: SYSTEM, now: operation.now, lastEventId: null }),
  )
  await ledger.insertOutsource({
    id: randomUUID(),
    provider_id: origin.provider_id,
    ticket_id: origin.id,
    partner_provider_id: partnerId,
    partner_ticket_id: partnerTicket.id,
    state: 'pending',
    ticket_number: partnerTicket.ticket_number,
    assigned_at: null,
    cancel_reason_id: null,
    created_at: at,
    finished_at: null,
    operator_channel_id: partnerTicket.operator_channel_id!,
  })
  return applyChange(
    ledger,
    locked,
    { state: 'outsourced', outsourced: true },
    { type: 'tickets.ticket.outsourced', actor: actorOf(operation.principal), now: operation.now },
  )
}

export async function reclaimTicket(ledger: TicketLedger, operation: Operation, locked: LockedTicket): Promise<WrittenTicket> {
  const outsource = await ledger.activeOutsource({ ticketId: locked.record.id })
  const partner = outsource && (await ledger.lockLinkedTicket(outsource.partner_ticket_id))
  if (!outsource || !partner || partner.record.state !== 'pending' || outsource.assigned_at !== null)
    throw notAllowed('reclaim', locked.record.state, 'The partner has already started on this ticket, so it can no longer be reclaimed.')
  const reason = await ledger.systemCancelReason('reclaim')
  const at = wireTimestamp(operation.now)
  // The partner's ticket is cancelled without reflecting back: this operation settles the
  // outsource and the origin itself, as a reclaim rather than a partner's cancel.
  await applyChange(
    ledger,
    partner,
    { state: 'cancelled', cancel_reason_id: reason.id, finished_at: at },
    { type: 'tickets.ticket.cancelled', actor: SYSTEM, now: operation.now, reflect: false },
  )
  await ledger.updateOutsource(outsource.id, { state: 'cancelled', cancel_reason_id: reason.id, finished_at: at })
  return applyChange(
    ledger,
    locked,
    { state: 'pending' },
    { type: 'tickets.ticket.reclaimed', actor: actorOf(operation.principal), now: operation.now },
  )
}
