// Raw results (one row per measurement) and their summary: each figure is the median over
// the runs, and the ratios to the yardsticks are computed within each run before taking the median.
import type { Measurement } from './http-load.js'
import { median } from './stats.js'

export interface ResultRow {
  run: number
  store: 'postgres' | 'embedded'
  /** http: through the server; sql: its statements straight through pg; plain: bench/plain-service.ts. */
  mode: Mode
  tickets: number
  scenario: string
  measurement: Measurement
  loadavg: number[]
}

export type Mode = 'http' | 'sql' | 'plain'

export interface Summary {
  store: 'postgres' | 'embedded'
  mode: Mode
  tickets: number
  scenario: string
  runs: number
  rps: number
  p50: number
  p99: number
  serverCpuMsPerRequest: number
  pgCpuMsPerRequest: number
  /** Of pgCpuMsPerRequest, the parallel workers' share. */
  pgParallelCpuMsPerRequest: number
  peakRssMb: number
  loadGenCpuMsPerRequest: number
  /** Summed over all runs (not a median): anything but 0 is a failure. */
  errors: number
  non2xx: number
  /** HTTP req/s ÷ SQL yardstick req/s of the same run (HTTP rows with a yardstick only). */
  ratio: number
  /** HTTP req/s ÷ plain service req/s of the same run (HTTP rows with a plain figure only). */
  plainRatio: number
  /** The most any run lost of the PostgreSQL backends' CPU (a backend exited mid-window). */
  pgBackendsLost: number
}

const key = (r: { store: string; mode: string; tickets: number; scenario: string }) => `${r.store}|${r.mode}|${r.tickets}|${r.scenario}`

export function summarize(rows: ResultRow[]): Summary[] {
  const groups = new Map<string, ResultRow[]>()
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row])
  const summaries: Summary[] = []
  for (const group of groups.values()) {
    const first = group[0]!
    const of = (pick: (m: Measurement) => number | undefined) => median(group.map((r) => pick(r.measurement) ?? Number.NaN))
    const ratioTo = (mode: Mode) =>
      median(
        group.map((row) => {
          if (row.mode !== 'http') return Number.NaN
          const other = rows.find((r) => r.mode === mode && r.run === row.run && key({ ...r, mode: 'http' }) === key(row))
          return other ? row.measurement.rps / other.measurement.rps : Number.NaN
        }),
      )
    summaries.push({
      store: first.store,
      mode: first.mode,
      tickets: first.tickets,
      scenario: first.scenario,
      runs: group.length,
      rps: of((m) => m.rps),
      p50: of((m) => m.p50),
      p99: of((m) => m.p99),
      serverCpuMsPerRequest: of((m) => m.serverCpuMsPerRequest),
      pgCpuMsPerRequest: of((m) => m.pgCpuMsPerRequest),
      pgParallelCpuMsPerRequest: of((m) => m.pgParallelCpuMsPerRequest),
      peakRssMb: of((m) => m.peakRssMb),
      loadGenCpuMsPerRequest: of((m) => m.loadGenCpuMsPerRequest),
      errors: group.reduce((sum, r) => sum + r.measurement.errors + r.measurement.timeouts, 0),
      non2xx: group.reduce((sum, r) => sum + r.measurement.non2xx, 0),
      ratio: ratioTo('sql'),
      plainRatio: ratioTo('plain'),
      pgBackendsLost: Math.max(...group.map((r) => r.measurement.pgBackendsLost ?? 0)),
    })
  }
  return summaries
}

export function find(summaries: Summary[], where: Partial<Summary>): Summary | undefined {
  return summaries.find((s) => Object.entries(where).every(([k, v]) => s[k as keyof Summary] === v))
}
