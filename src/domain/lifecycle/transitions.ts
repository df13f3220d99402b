// The lifecycle actions (POST /v2/tickets/tickets/{ticket-id}/<action>): check the state
// machine, then the action's own rules, then write one change and its event.
import { randomUUID } from 'node:crypto'
import type { CancelBody, CloseBody, JoinBody, OutsourceBody, SubmitBody } from '../../contract/transitions.js'
import { AppError } from '../../errors/app-error.js'
import type { LockedTicket, TicketLedger, WrittenTicket } from '../../store/ticket-ledger.js'
import { applyChange } from './change.js'
import { wireTimestamp } from './events.js'
import { actorOf, lockOwnTicket, type Operation } from './operation.js'
import { outsourceTicket, reclaimTicket } from './outsourcing.js'
import { ACTIONS, assertAllowed, notAllowed, type Action } from './state-machine.js'

export interface ActionBodies {
  submit: SubmitBody
  join: JoinBody
  release: Record<string, never>
  close: CloseBody
  cancel: CancelBody
  reopen: Record<string, never>
  outsource: OutsourceBody
  reclaim: Record<string, never>
}

export async function runAction<A extends Action>(
  ledger: TicketLedger,
  operation: Operation,
  id: string,
  action: A,
  body: ActionBodies[A],
): Promise<WrittenTicket> {
  const locked = await lockOwnTicket(ledger, operation, id)
  assertAllowed(action, locked.record.state)
  switch (action) {
    case 'outsource':
      return outsourceTicket(ledger, operation, locked, body as OutsourceBody)
    case 'reclaim':
      return reclaimTicket(ledger, operation, locked)
    default:
      return applyChange(ledger, locked, await changesFor(ledger, locked, action, body, operation.now), {
        type: ACTIONS[action].event,
        actor: actorOf(operation.principal),
        now: operation.now,
      })
  }
}

async function changesFor(ledger: TicketLedger, locked: LockedTicket, action: Action, body: unknown, now: Date) {
  const ticket = locked.record
  const at = wireTimestamp(now)
  switch (action) {
    case 'submit': {
      const { vin, customer_connector_id, connection_id } = body as SubmitBody
      if (ticket.vin === null && vin === undefined)
        throw new AppError('invalid-body', 'The ticket has no VIN yet, so submitting it needs one: send vin.', {
          errors: [{ in: 'body', name: 'vin', detail: 'is required because the ticket has none' }],
        })
      return {
        state: 'pending' as const,
        customer_channel_id: randomUUID(),
        ...(vin !== undefined ? { vin } : {}),
        ...(customer_connector_id !== undefined ? { customer_connector_id } : {}),
        ...(connection_id !== undefined ? { connection_id } : {}),
      }
    }
    case 'join': {
      const { operator_id } = body as JoinBody
      return {
        state: 'in_progress' as const,
        operator_id: operator_id.toLowerCase(),
        // assigned_at records the first operator; a later join after a release keeps it.
        assigned_at: ticket.assigned_at ?? at,
        service_started_at: at,
      }
    }
    case 'release':
      return { state: 'pending' as const }
    case 'close': {
      const { operator_reference, vehicle_battery_voltage } = body as CloseBody
      return {
        state: 'closed' as const,
        finished_at: at,
        ...(operator_reference !== undefined ? { operator_reference } : {}),
        ...(vehicle_battery_voltage !== undefined ? { vehicle_battery_voltage } : {}),
      }
    }
    case 'cancel': {
      const { cancel_reason_id } = body as CancelBody
      // Only a prepared ticket may be without a VIN (a CHECK constraint): cancelling one that
      // has none would fail in the database, so it is refused here, saying how to proceed.
      if (ticket.vin === null)
        throw notAllowed(
          'cancel',
          ticket.state,
          'This prepared ticket has no VIN yet, and only a prepared ticket may be without one: set its vin (PATCH) before cancelling it.',
        )
      const reason = BigInt(cancel_reason_id) <= 2n ** 31n - 1n ? await ledger.cancelReason(cancel_reason_id) : undefined
      if (!reason)
        throw new AppError('unknown-cancel-reason', `There is no cancel reason ${cancel_reason_id}; see /v2/tickets/cancel-reasons.`, {
          errors: [{ in: 'body', name: 'cancel_reason_id', detail: 'is not in the cancel-reason catalogue' }],
        })
      if (!reason.manually_applicable)
        throw new AppError(
          'cancel-reason-not-applicable',
          `Cancel reason ${reason.id} ("${reason.name}") is applied by the platform itself; choose a manually applicable reason.`,
          { errors: [{ in: 'body', name: 'cancel_reason_id', detail: 'is not manually applicable' }] },
        )
      return { state: 'cancelled' as const, cancel_reason_id: reason.id, finished_at: at }
    }
    case 'reopen': {
      const reason = ticket.cancel_reason_id === null ? undefined : await ledger.cancelReason(ticket.cancel_reason_id)
      if (!reason?.allows_ticket_reopening)
        throw notAllowed(
          'reopen',
          ticket.state,
          `This ticket was cancelled for reason ${ticket.cancel_reason_id}${reason ? ` ("${reason.name}")` : ', which is not in the catalogue'}, which does not allow reopening.`,
        )
      if (ticket.parent_ticket_id !== null)
        throw notAllowed(
          'reopen',
          ticket.state,
          'This ticket was outsourced to you and that outsource has ended; the provider that outsourced it decides what happens next.',
        )
      return { state: 'pending' as const, cancel_reason_id: null, finished_at: null }
    }
    default:
      throw new Error(`no changes defined for ${action}`)
  }
}
