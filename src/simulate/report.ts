// Counting what the simulation did, and saying it in one line.
export type Counted = 'create' | 'submit' | 'join' | 'release' | 'close' | 'cancel' | 'reopen' | 'outsource' | 'reclaim'
export const COUNTED: readonly Counted[] = ['create', 'submit', 'join', 'release', 'close', 'cancel', 'reopen', 'outsource', 'reclaim']

export interface SimulationCounts {
  /** Operations finished (successful or not). */
  ops: number
  byAction: Record<Counted, number>
  /** Operations that failed: an error answer, no answer, or an answer the model did not expect. */
  errors: number
  /** HTTP requests sent (an outsource also looks up the partner's ticket). */
  requests: number
}

export interface SimulationReport extends SimulationCounts {
  elapsedMs: number
  /** Operations per second since the previous report. */
  opsPerSecond: number
  inFlight: number
  /** Tickets the simulator is still moving. */
  open: number
}

export function emptyCounts(): SimulationCounts {
  return { ops: 0, byAction: Object.fromEntries(COUNTED.map((name) => [name, 0])) as Record<Counted, number>, errors: 0, requests: 0 }
}

export function formatReport(report: SimulationReport): string {
  const actions = COUNTED.map((name) => `${name} ${report.byAction[name]}`).join(', ')
  return (
    `${(report.elapsedMs / 1000).toFixed(1).padStart(6)}s  ${report.opsPerSecond.toFixed(1).padStart(6)} ops/s  ` +
    `${report.ops} ops (${actions})  open ${report.open}  errors ${report.errors}`
  )
}
