// The lifecycle's actions, one POST each on /v2/tickets/tickets/{ticket-id}/<action>, and the
// states each one starts from (what a 409 transition-not-allowed is measured against).
import type { TicketState } from './api-types.js'

export const TICKET_ACTIONS = {
  submit: { from: ['prepared'], to: 'pending' },
  join: { from: ['pending'], to: 'in_progress' },
  release: { from: ['in_progress'], to: 'pending' },
  close: { from: ['in_progress'], to: 'closed' },
  cancel: { from: ['prepared', 'pending', 'in_progress'], to: 'cancelled' },
  reopen: { from: ['cancelled'], to: 'pending' },
  outsource: { from: ['pending', 'in_progress'], to: 'outsourced' },
  reclaim: { from: ['outsourced'], to: 'pending' },
} as const satisfies Record<string, { from: readonly TicketState[]; to: TicketState }>

export type TicketAction = keyof typeof TICKET_ACTIONS
