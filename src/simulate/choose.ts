// What happens next to a case, weighted the way a platform's day goes: most tickets are joined
// and closed; some are released, cancelled, outsourced, reclaimed or reopened.
import type { TicketAction } from 'tickets-api-client'
import type { Case } from './world.js'

export type Who = 'origin' | 'partner'
export interface Move {
  action: TicketAction
  /** Whose ticket the action is on: the case's origin, or the partner's ticket of an outsourced one. */
  on: Who
}

type Weighted = Array<[number, Move]>

const origin = (action: TicketAction): Move => ({ action, on: 'origin' })
const partner = (action: TicketAction): Move => ({ action, on: 'partner' })

/** The moves a case allows now, with their weights; empty when nothing is left to do. */
export function movesOf(entry: Case, canOutsource: boolean): Weighted {
  const { origin: ticket, partner: theirs } = entry
  switch (ticket.state) {
    case 'prepared':
      // A prepared ticket without a VIN cannot be cancelled (409: the seed allows no VIN outside
      // prepared); the simulator, like a real platform, only cancels one that has a VIN.
      return [[8, origin('submit')], ...(ticket.hasVin ? ([[1, origin('cancel')]] as Weighted) : [])]
    case 'pending':
      return [[10, origin('join')], [1, origin('cancel')], ...(canOutsource ? ([[3, origin('outsource')]] as Weighted) : [])]
    case 'in_progress':
      return [
        [8, origin('close')],
        [2, origin('release')],
        [1, origin('cancel')],
        ...(canOutsource ? ([[1, origin('outsource')]] as Weighted) : []),
      ]
    case 'cancelled':
      return entry.reopenable ? [[1, origin('reopen')]] : []
    case 'outsourced':
      if (!theirs) return []
      if (theirs.state === 'pending')
        return [[6, partner('join')], [1, partner('cancel')], ...(theirs.started ? [] : ([[2, origin('reclaim')]] as Weighted))]
      if (theirs.state === 'in_progress')
        return [
          [6, partner('close')],
          [1, partner('release')],
          [1, partner('cancel')],
        ]
      return []
    default:
      return []
  }
}

export function pick<T>(weighted: Array<[number, T]>, random: () => number): T | undefined {
  const total = weighted.reduce((sum, [weight]) => sum + weight, 0)
  let point = random() * total
  for (const [weight, value] of weighted) {
    point -= weight
    if (point < 0) return value
  }
  return weighted[weighted.length - 1]?.[1]
}
