// The seed's rules about which fields a ticket in each state has. The database enforces the
// same rules as CHECK constraints (migrations/0001); this copy lets the import name the field.
import type { Ticket } from '../contract/ticket.js'
import { instantKey } from './values.js'

export interface Violation {
  field: keyof Ticket
  reason: string
}

export function ticketViolations(t: Ticket): Violation[] {
  const violations: Violation[] = []
  const violate = (field: keyof Ticket, reason: string) => violations.push({ field, reason })
  const done = t.state === 'closed' || t.state === 'cancelled'
  if ((t.cancel_reason_id !== null) !== (t.state === 'cancelled'))
    violate('cancel_reason_id', t.state === 'cancelled' ? 'is required for a cancelled ticket' : `must be null for a ${t.state} ticket`)
  if ((t.finished_at !== null) !== done)
    violate('finished_at', done ? `is required for a ${t.state} ticket` : `must be null for a ${t.state} ticket`)
  if (t.state === 'prepared' && t.customer_channel_id !== null) violate('customer_channel_id', 'must be null for a prepared ticket')
  if (t.vin === null && t.state !== 'prepared') violate('vin', `is required for a ${t.state} ticket`)
  if (t.state === 'in_progress' && t.operator_id === null) violate('operator_id', 'is required for an in_progress ticket')
  if (t.state === 'in_progress' && t.assigned_at === null) violate('assigned_at', 'is required for an in_progress ticket')
  if (t.state === 'outsourced' && !t.outsourced) violate('outsourced', 'must be true for an outsourced ticket')
  // Both are normalised RFC 3339 UTC strings here; compare them as instants.
  if (instantKey(t.updated_at) < instantKey(t.created_at)) violate('updated_at', 'must not be before created_at')
  return violations
}
