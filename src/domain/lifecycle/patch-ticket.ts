// PATCH through the lifecycle: the merge patch is a change like any other, with its event.
// Each member needs its own scope (contract/ticket-patch.ts): the external fields belong to
// partners (tickets:write), the descriptive ones to the platform's systems (tickets:manage).
import { bearerChallenge } from '../../auth/challenge.js'
import type { Scope } from '../../contract/oauth.js'
import { PATCH_MEMBER_SCOPES, type TicketPatch } from '../../contract/ticket-patch.js'
import { AppError } from '../../errors/app-error.js'
import type { TicketWriter, WrittenTicket } from '../../store/ticket-ledger.js'
import { writeChange } from './change.js'
import { actorOf, lockOwnTicket, type Operation } from './operation.js'
import type { TicketChanges } from './ticket-record.js'

/** Refuses a patch that sets a member the caller's scopes do not cover, naming the scope. */
export function assertPatchScopes(patch: TicketPatch, scopes: readonly Scope[]): void {
  const members = Object.keys(patch) as (keyof TicketPatch)[]
  const missing = members.filter((member) => !scopes.includes(PATCH_MEMBER_SCOPES[member]))
  if (missing.length === 0) return
  const needed = [...new Set(missing.map((member) => PATCH_MEMBER_SCOPES[member]))]
  const detail = `Setting ${missing.join(', ')} needs the ${needed.join(' and ')} scope.`
  throw new AppError('insufficient-scope', detail, {
    headers: { 'www-authenticate': bearerChallenge('insufficient_scope', detail, needed.join(' ')) },
    errors: missing.map((member) => ({ in: 'body' as const, name: member, detail: `needs the ${PATCH_MEMBER_SCOPES[member]} scope` })),
  })
}

export async function patchTicket(ledger: TicketWriter, operation: Operation, id: string, patch: TicketPatch): Promise<WrittenTicket> {
  const locked = await lockOwnTicket(ledger, operation, id)
  const { state } = locked.record
  if (patch.vin !== undefined) {
    if (state !== 'prepared' && state !== 'pending')
      throw new AppError('state-conflict', `The VIN can only change while a ticket is prepared or pending; this one is ${state}.`, {
        errors: [{ in: 'body', name: 'vin', detail: `cannot change while the ticket is ${state}` }],
      })
    if (patch.vin === null && state !== 'prepared')
      throw new AppError('state-conflict', 'Only a prepared ticket may be without a VIN; this one is pending.', {
        errors: [{ in: 'body', name: 'vin', detail: 'may be null only while the ticket is prepared' }],
      })
  }
  // A patch has no state member: it never moves the ticket, so it is one write (writeOnce).
  const changes: Omit<TicketChanges, 'state'> = {}
  for (const [member, value] of Object.entries(patch)) if (value !== undefined) (changes as Record<string, unknown>)[member] = value
  return writeChange(ledger, locked, changes, { type: 'tickets.ticket.updated', actor: actorOf(operation.principal), now: operation.now })
}
