// The simulator's own model of every ticket it is moving: which provider owns it, its state,
// and, while it is outsourced, the partner's ticket. A case (an origin ticket and its current
// partner ticket) is acted on by one operation at a time, so the model never races the server:
// any 409 the server answers means the model and the server disagree, which is an error.
import type { TicketState } from 'tickets-api-client'

/** Which of the two simulated providers: 0 or 1 (the partner of 0 is 1 and the other way round). */
export type Side = 0 | 1

export interface SimTicket {
  id: string
  side: Side
  state: TicketState
  /** For a partner's ticket: an operator has joined it at least once (so it can no longer be reclaimed). */
  started: boolean
  /** The ticket has a VIN (a prepared one may not yet). */
  hasVin: boolean
}

export interface Case {
  origin: SimTicket
  /** The partner's ticket while `origin` is outsourced. */
  partner: SimTicket | undefined
  /** Cancelled for a reason that allows reopening, and kept to be reopened. */
  reopenable: boolean
  /** An operation on this case is in flight. */
  busy: boolean
}

export class World {
  readonly cases = new Set<Case>()

  add(origin: SimTicket): Case {
    const entry: Case = { origin, partner: undefined, reopenable: false, busy: false }
    this.cases.add(entry)
    return entry
  }

  /** Drops a case whose origin reached its end (closed, or cancelled for good). */
  retire(entry: Case): void {
    this.cases.delete(entry)
  }

  get size(): number {
    return this.cases.size
  }

  /** Up to `tries` idle cases picked at random (fewer when fewer are idle). */
  idle(random: () => number, tries: number): Case[] {
    const idle = [...this.cases].filter((c) => !c.busy)
    const picked: Case[] = []
    while (picked.length < tries && idle.length > 0) picked.push(idle.splice(Math.floor(random() * idle.length), 1)[0]!)
    return picked
  }
}
