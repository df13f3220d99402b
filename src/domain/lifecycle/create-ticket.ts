// POST /v2/tickets/tickets: a new ticket for the caller's provider, with its `created` event.
import { randomUUID } from 'node:crypto'
import type { NewTicket } from '../../contract/ticket-create.js'
import { AppError } from '../../errors/app-error.js'
import type { NewTicketRecord, TicketLedger, WrittenTicket } from '../../store/ticket-ledger.js'
import { buildEvent, wireTimestamp } from './events.js'
import { actorOf, type Operation } from './operation.js'

export async function createTicket(ledger: TicketLedger, operation: Operation, body: NewTicket): Promise<WrittenTicket> {
  const state = body.state ?? 'pending'
  if (state === 'pending' && body.vin === undefined)
    throw new AppError('invalid-body', 'A pending ticket needs a VIN: send vin, or create the ticket as prepared.', {
      errors: [{ in: 'body', name: 'vin', detail: 'is required unless state is prepared' }],
    })
  if (state === 'pending' && body.preparer_external_reference !== undefined)
    throw new AppError('invalid-body', 'Only a prepared ticket carries a preparer_external_reference.', {
      errors: [{ in: 'body', name: 'preparer_external_reference', detail: 'is only for prepared tickets' }],
    })
  const providerId = operation.principal.providerId
  const at = wireTimestamp(operation.now)
  const ticket: NewTicketRecord = {
    id: randomUUID(),
    provider_id: providerId,
    assigned_at: null,
    cancel_reason_id: null,
    connection_id: body.connection_id?.toLowerCase() ?? null,
    created_at: at,
    // The customer's messenger channel opens when the ticket reaches the customer.
    customer_channel_id: state === 'pending' ? randomUUID() : null,
    customer_connector_id: body.customer_connector_id?.toLowerCase() ?? null,
    customer_id: body.customer_id.toLowerCase(),
    customer_reference: body.customer_reference ?? '',
    external_reference: '',
    externally_processed: false,
    finished_at: null,
    operator_channel_id: null,
    operator_id: null,
    operator_reference: '',
    outsourced: false,
    source_provider_id: providerId,
    state,
    ticket_number: await ledger.nextTicketNumber(),
    vehicle_model_id: body.vehicle_model_id,
    vin: body.vin ?? null,
    voucher_code: body.voucher_code ?? null,
    preparer_external_reference: body.preparer_external_reference ?? '',
    service_started_at: null,
    vehicle_battery_voltage: null,
    parent_ticket_id: null,
    parent_ticket_number: null,
  }
  const event = buildEvent({
    type: 'tickets.ticket.created',
    before: undefined,
    after: { ...ticket, updated_at: at },
    actor: actorOf(operation.principal),
    now: operation.now,
    lastEventId: null,
  })
  return ledger.insertTicket(ticket, event)
}
