// The ticket lifecycle: which action moves a ticket from which states to which, and the 409
// that names the current state and what it allows. The database's CHECK constraints enforce
// the resulting field rules; this table decides what may be asked.
import type { TicketState } from '../../contract/ticket.js'
import type { TicketEventType } from '../../contract/ticket-event.js'
import { AppError } from '../../errors/app-error.js'

export const ACTIONS = {
  submit: { from: ['prepared'], to: 'pending', event: 'tickets.ticket.submitted' },
  join: { from: ['pending'], to: 'in_progress', event: 'tickets.ticket.joined' },
  release: { from: ['in_progress'], to: 'pending', event: 'tickets.ticket.released' },
  close: { from: ['in_progress'], to: 'closed', event: 'tickets.ticket.closed' },
  cancel: { from: ['prepared', 'pending', 'in_progress'], to: 'cancelled', event: 'tickets.ticket.cancelled' },
  reopen: { from: ['cancelled'], to: 'pending', event: 'tickets.ticket.reopened' },
  outsource: { from: ['pending', 'in_progress'], to: 'outsourced', event: 'tickets.ticket.outsourced' },
  reclaim: { from: ['outsourced'], to: 'pending', event: 'tickets.ticket.reclaimed' },
} as const satisfies Record<string, { from: readonly TicketState[]; to: TicketState; event: TicketEventType }>

export type Action = keyof typeof ACTIONS
export const ACTION_NAMES = Object.keys(ACTIONS) as Action[]

/** The actions whose `from` includes the state (before any further rule such as a reopenable reason). */
export function actionsFrom(state: TicketState): Action[] {
  return ACTION_NAMES.filter((action) => (ACTIONS[action].from as readonly TicketState[]).includes(state))
}

/** The 409 for an action the ticket's state (or another rule, in `why`) does not allow. */
export function notAllowed(action: Action, state: TicketState, why?: string): AppError {
  // When a rule beyond the state refuses (why), the refused action is not offered either.
  const allowed = actionsFrom(state).filter((candidate) => candidate !== action)
  const detail =
    why ??
    `A ${state} ticket cannot be asked to ${action}; ${allowed.length > 0 ? `a ${state} ticket allows ${allowed.join(', ')}` : `nothing moves a ${state} ticket`}.`
  return new AppError('transition-not-allowed', detail, { members: { state, allowed_actions: allowed } })
}

export function assertAllowed(action: Action, state: TicketState): void {
  if (!(ACTIONS[action].from as readonly TicketState[]).includes(state)) throw notAllowed(action, state)
}
