// The results as Markdown tables: machine, dataset, import, PostgreSQL with both yardsticks
// (SQL alone, the plain service) and the ratios to them, the embedded store, the scale curve,
// and the load average of every run.
import type { BenchOptions } from './args.js'
import type { WalkResult } from './cursor-walk.js'
import type { DatasetMeta } from './dataset.js'
import type { ImportFigures } from './load.js'
import type { MachineInfo } from './machine.js'
import { find, type ResultRow, type Summary } from './results.js'
import { describeScenario } from './scenarios.js'
import { median } from './stats.js'

export interface ReportInput {
  options: BenchOptions
  command: string
  /** Which implementation was measured. */
  build: string
  /** The chart's file name in docs/. */
  chart: string
  machine: MachineInfo
  meta: DatasetMeta
  imports: Array<{ store: string; name: string; figures?: ImportFigures & { measuredAt?: string } }>
  mainScenarios: string[]
  curveScenarios: string[]
  curveSizes: number[]
  summaries: Summary[]
  rows: ResultRow[]
  walks: Array<{ run: number; store: string; tickets: number; walk: WalkResult }>
}

const n = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '–')
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–')
const ms = (v: number) => (!Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1))
/** PG CPU per request, with the parallel workers' part in brackets when there is one. */
const pgCpu = (s: Summary) =>
  s.pgParallelCpuMsPerRequest > 0.005 ? `${ms(s.pgCpuMsPerRequest)} (${ms(s.pgParallelCpuMsPerRequest)})` : ms(s.pgCpuMsPerRequest)
const table = (head: string[], body: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n')

function machineSection(m: MachineInfo): string {
  return table(
    ['', ''],
    [
      ['date', m.date],
      ['CPU', `${m.nproc} × ${m.cpuModel}`],
      ['RAM', `${m.ramGiB} GiB`],
      ['Node.js', m.node],
      ['PostgreSQL', `${m.postgres} (shared_buffers ${m.sharedBuffers}), same machine`],
      ['load average at start (1/5/15 min)', m.loadAtStart.join(' / ')],
    ],
  )
}

function datasetSection(meta: DatasetMeta): string {
  const sizes = meta.providers.map((p) => p.count)
  const states = Object.entries(meta.states)
    .map(([state, count]) => `${state} ${((count / meta.tickets) * 100).toFixed(1)}%`)
    .join(', ')
  return (
    `${int(meta.tickets)} tickets (seed ${meta.seed}) over ${sizes.length} providers: the big one holds ${int(sizes[0]!)}, ` +
    `the others ${int(sizes[1]!)} down to ${int(sizes.at(-1)!)} (1/k). States: ${states}. ` +
    'Created over two years; about half of the closed and cancelled tickets are externally processed.'
  )
}

function importSection(imports: ReportInput['imports']): string {
  return table(
    ['store', 'tickets', 'import (CLI) s', 'lines/s', 'whole process s', 'VACUUM ANALYZE s', 'measured'],
    imports.map(({ store, name, figures: f }) =>
      f
        ? [
            store,
            int(f.tickets),
            n(f.cliSeconds),
            int(f.cliLinesPerSecond),
            n(f.wallSeconds),
            f.vacuumSeconds === undefined ? '–' : n(f.vacuumSeconds),
            f.measuredAt ?? 'this run',
          ]
        : [store, name, '–', '–', '–', '–', 'not recorded'],
    ),
  )
}

function postgresSection(input: ReportInput): string {
  const { summaries, options } = input
  const body = input.mainScenarios.map((scenario) => {
    const http = find(summaries, { store: 'postgres', mode: 'http', tickets: options.tickets, scenario })
    const sql = find(summaries, { store: 'postgres', mode: 'sql', tickets: options.tickets, scenario })
    const plain = find(summaries, { store: 'postgres', mode: 'plain', tickets: options.tickets, scenario })
    if (!http) return [scenario, ...Array(16).fill('–')]
    return [
      scenario,
      int(http.rps),
      ms(http.p50),
      ms(http.p99),
      ms(http.serverCpuMsPerRequest),
      pgCpu(http),
      int(http.peakRssMb),
      `${http.errors} / ${http.non2xx}`,
      ms(http.loadGenCpuMsPerRequest),
      sql ? int(sql.rps) : '–',
      sql ? n(http.ratio, 2) : '–',
      sql ? ms(sql.p50) : '–',
      sql ? pgCpu(sql) : '–',
      plain ? int(plain.rps) : '–',
      plain ? n(http.plainRatio, 2) : '–',
      plain ? ms(plain.p50) : '–',
      plain ? ms(plain.serverCpuMsPerRequest) : '–',
    ]
  })
  return table(
    [
      'scenario',
      'req/s',
      'p50 ms',
      'p99 ms',
      'server CPU ms/req',
      'PG CPU ms/req (parallel workers)',
      'peak RSS MB',
      'errors / non-2xx',
      'load-gen CPU ms/req',
      'SQL req/s',
      'HTTP/SQL',
      'SQL p50 ms',
      'SQL PG CPU ms/req',
      'plain req/s',
      'service ÷ plain',
      'plain p50 ms',
      'plain server CPU ms/req',
    ],
    body,
  )
}

function embeddedSection(input: ReportInput): string {
  const body = input.mainScenarios.map((scenario) => {
    const http = find(input.summaries, { store: 'embedded', mode: 'http', tickets: input.options.embeddedTickets, scenario })
    if (!http) return [scenario, '–', '–', '–', '–', '–', '–', '–']
    const pg = find(input.summaries, { store: 'postgres', mode: 'http', tickets: input.options.tickets, scenario })
    return [
      scenario,
      int(http.rps),
      ms(http.p50),
      ms(http.p99),
      ms(http.serverCpuMsPerRequest),
      int(http.peakRssMb),
      `${http.errors} / ${http.non2xx}`,
      pg ? n(http.rps / pg.rps, 2) : '–',
    ]
  })
  return table(
    [
      'scenario',
      'req/s',
      'p50 ms',
      'p99 ms',
      'server CPU ms/req (database included)',
      'peak RSS MB',
      'errors / non-2xx',
      'req/s vs PostgreSQL',
    ],
    body,
  )
}

function curveSection(input: ReportInput): string {
  const head = ['scenario', ...input.curveSizes.flatMap((size) => [`${int(size)} p50`, 'p99', 'server+PG CPU ms/req'])]
  const body = input.curveScenarios.map((scenario) => [
    scenario,
    ...input.curveSizes.flatMap((tickets) => {
      const s = find(input.summaries, { store: 'postgres', mode: 'http', tickets, scenario })
      return s ? [ms(s.p50), ms(s.p99), `${ms(s.serverCpuMsPerRequest)} + ${pgCpu(s)}`] : ['–', '–', '–']
    }),
  ])
  return table(head, body)
}

function walkSection(input: ReportInput): string {
  const stores = [...new Set(input.walks.map((w) => `${w.store}:${w.tickets}`))]
  const body = stores.map((key) => {
    const walks = input.walks.filter((w) => `${w.store}:${w.tickets}` === key).map((w) => w.walk)
    const m = (pick: (w: WalkResult) => number) => median(walks.map(pick))
    const offsets = walks[0]!.offsetP50.map((o, i) => `${int(o.offset)}: ${ms(median(walks.map((w) => w.offsetP50[i]!.ms)))}`).join(', ')
    const problems = walks.flatMap((w) => w.problems)
    return [
      key.split(':')[0]!,
      int(walks[0]!.tickets),
      int(walks[0]!.pages),
      n(m((w) => w.seconds)),
      ms(m((w) => w.startP50)),
      ms(m((w) => w.middleP50)),
      ms(m((w) => w.endP50)),
      n(
        m((w) => w.endP50 / w.startP50),
        2,
      ),
      offsets,
      problems.length ? problems.join('; ') : 'none',
    ]
  })
  return table(
    [
      'store',
      'tickets walked',
      'pages',
      'walk s',
      'page p50 ms, first tenth',
      'middle tenth',
      'last tenth',
      'last ÷ first',
      'same page by offset (offset: p50 ms)',
      'problems',
    ],
    body,
  )
}

function loadSection(rows: ResultRow[]): string {
  const runs = [...new Set(rows.map((r) => r.run))]
  return runs
    .map((run) => {
      const inRun = rows.filter((r) => r.run === run)
      const loads = inRun.map((r) => r.loadavg[0]!)
      const others = inRun.map((r) => r.measurement.otherCores ?? Number.NaN).filter(Number.isFinite)
      const foreign = others.length
        ? `, other processes used ${n(Math.min(...others), 2)}–${n(Math.max(...others), 2)} cores (median ${n(median(others), 2)})`
        : ''
      return `run ${run}: 1-min load average ${n(Math.min(...loads), 2)}–${n(Math.max(...loads), 2)}${foreign}`
    })
    .join('; ')
}

export function renderReport(input: ReportInput): string {
  const o = input.options
  const parts = [
    `# Benchmark results`,
    `Server: ${input.build}, log level ${o.logLevel}${o.logLevel === 'warn' ? ' (no request lines)' : ''}. Command: \`${input.command}\`. ` +
      `Concurrency ${o.concurrency}, ${o.duration} s measured after ${o.warmup} s warm-up per scenario; ` +
      `every figure is the median of ${o.runs} run(s). Errors and non-2xx are summed over all runs.`,
    '## Machine',
    machineSection(input.machine),
    `Load during the runs: ${loadSection(input.rows)}. The load average includes the bench's own processes ` +
      `(at concurrency ${o.concurrency} up to ${o.concurrency} busy PostgreSQL backends); "other processes" is the machine's ` +
      'busy CPU (/proc/stat) minus what the server, the PostgreSQL backends and the bench used.',
    '## Dataset',
    datasetSection(input.meta),
    '## Import (`tickets import <file>`)',
    importSection(input.imports),
    `## PostgreSQL, ${int(o.tickets)} tickets`,
    'SQL = the same statements run straight through `pg` at the same concurrency (yardstick); HTTP/SQL is the ratio of req/s within each run. ' +
      'Plain = the same requests against `bench/plain-service.ts` (`node:http` + `pg`, no authentication, no logging, `count(*)`; ' +
      'get-by-id, patch-processed and list-customer only), with the same pool size and concurrency; service ÷ plain is the ratio of req/s within each run.',
    postgresSection(input),
  ]
  if (o.embeddedTickets > 0) parts.push(`## Embedded store, ${int(o.embeddedTickets)} tickets`, embeddedSection(input))
  if (input.walks.length > 0)
    parts.push(
      `## Walking the big provider by cursor (\`limit=${input.walks[0]!.walk.pageSize}\`, \`after=next\`, one connection)`,
      'Every ticket exactly once, as many as `total`: checked. The offset column fetches the same page size at the start, middle and end depth of the walk.',
      walkSection(input),
    )
  if (input.curveSizes.length > 0)
    parts.push('## Scale curve (PostgreSQL, HTTP)', `![latency against table size](${input.chart})`, curveSection(input))
  parts.push(
    '## Scenarios',
    input.mainScenarios
      .concat(input.curveScenarios.filter((s) => !input.mainScenarios.includes(s)))
      .map((s) => `- **${s}**: ${describeScenario(s)}`)
      .join('\n'),
  )
  return `${parts.join('\n\n')}\n`
}
