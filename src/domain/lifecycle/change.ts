// One change to one ticket: the write, its event, and what it means for the other end of an
// outsource. A partner's ticket (parent_ticket_id set) drives the outsource that created it
// and, when it finishes, the ticket it came from: closed there closes the origin; cancelled
// there gives the origin back to its provider as pending. The origin's change is itself a
// change, so a chain of outsources unwinds the same way.
import type { Actor, TicketEventType } from '../../contract/ticket-event.js'
import type { LockedTicket, TicketLedger, TicketWriter, WrittenTicket } from '../../store/ticket-ledger.js'
import { buildEvent, wireTimestamp } from './events.js'
import type { TicketChanges, TicketRecord } from './ticket-record.js'

export const SYSTEM: Actor = { type: 'system' }

export interface ChangeOptions {
  type: TicketEventType
  actor: Actor
  now: Date
  /** False when the caller settles the outsource itself (reclaim). */
  reflect?: boolean
}

export async function applyChange(
  ledger: TicketLedger,
  locked: LockedTicket,
  changes: TicketChanges,
  options: ChangeOptions,
): Promise<WrittenTicket> {
  const before = locked.record
  const written = await writeChange(ledger, locked, changes, options)
  if (options.reflect !== false && before.parent_ticket_id !== null && before.state !== written.record.state)
    await reflectOnOrigin(ledger, written.record, options.now)
  return written
}

/**
 * The change and its event, and nothing else: for a change that cannot move the ticket to
 * another state (a PATCH), which therefore never concerns an outsource.
 */
export function writeChange(
  writer: TicketWriter,
  locked: LockedTicket,
  changes: Omit<TicketChanges, 'state'>,
  options: Omit<ChangeOptions, 'reflect'>,
): Promise<WrittenTicket> {
  const before = locked.record
  const after: TicketRecord = { ...before, ...changes }
  const event = buildEvent({ type: options.type, before, after, actor: options.actor, now: options.now, lastEventId: locked.lastEventId })
  return writer.updateTicket(before, changes, options.now, event)
}

async function reflectOnOrigin(ledger: TicketLedger, partnerTicket: TicketRecord, now: Date): Promise<void> {
  const outsource = await ledger.activeOutsource({ partnerTicketId: partnerTicket.id })
  if (!outsource) return
  const at = wireTimestamp(now)
  switch (partnerTicket.state) {
    case 'in_progress':
      await ledger.updateOutsource(outsource.id, { state: 'in_progress', assigned_at: outsource.assigned_at ?? partnerTicket.assigned_at })
      return
    case 'pending':
      await ledger.updateOutsource(outsource.id, { state: 'pending' })
      return
    case 'closed': {
      await ledger.updateOutsource(outsource.id, { state: 'closed', finished_at: at })
      const origin = await ledger.lockLinkedTicket(outsource.ticket_id)
      if (origin?.record.state === 'outsourced')
        await applyChange(ledger, origin, { state: 'closed', finished_at: at }, { type: 'tickets.ticket.closed', actor: SYSTEM, now })
      return
    }
    case 'cancelled': {
      await ledger.updateOutsource(outsource.id, { state: 'cancelled', cancel_reason_id: partnerTicket.cancel_reason_id, finished_at: at })
      const origin = await ledger.lockLinkedTicket(outsource.ticket_id)
      if (origin?.record.state === 'outsourced')
        await applyChange(ledger, origin, { state: 'pending' }, { type: 'tickets.ticket.released', actor: SYSTEM, now })
      return
    }
    default:
      // prepared cannot happen; outsourced (the partner passed it on) leaves this outsource pending.
      return
  }
}
