// npm run bench: load (or reuse) the datasets, then for each run and each store start the
// server, replay every scenario over HTTP (then its SQL straight against PostgreSQL, and the
// same requests against the plain service), and finally write the report (.bench/results)
// and, with --curve, the scale chart (docs/).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { parseBenchArgs } from './args.js'
import { scaleChart } from './chart.js'
import { ensureBuilt, ROOT } from './cli.js'
import { measureHttp, preflight, type Measurement } from './http-load.js'
import { measurePlain, PLAIN_SCENARIOS, servicePoolSize } from './plain-load.js'
import { databaseUrl, ensureEmbeddedTarget, ensurePostgresTarget, loadImportFigures, vacuumTickets, type BenchTarget } from './load.js'
import { loadNow, machineInfo } from './machine.js'
import { renderReport } from './report.js'
import { find, summarize, type ResultRow } from './results.js'
import { buildOperations, CURVE_SCENARIOS, MAIN_SCENARIOS, SCENARIO_NAMES } from './scenarios.js'
import { FEED_SCENARIO, feedOperations } from './feed.js'
import { hasLifecycle, isTransition, LIFECYCLE_SCENARIOS, transitionOperations } from './lifecycle.js'
import { PROFILE_DIR, providerTokens, startServer, type RunningServer } from './server.js'
import { measureSql } from './sql-load.js'
import { walkByCursor, type WalkResult } from './cursor-walk.js'

const options = parseBenchArgs(process.argv.slice(2))
/** The walk's page size: what a client walking everything would ask for. */
const WALK_PAGE_SIZE = 1000
const log = (line: string) => process.stderr.write(`bench: ${line}\n`)
for (const name of options.scenarios ?? [])
  if (!SCENARIO_NAMES.includes(name)) throw new Error(`unknown scenario "${name}" (${SCENARIO_NAMES.join(', ')})`)

let running: RunningServer | undefined
process.once('SIGINT', () => {
  log('interrupted; stopping the server')
  void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130))
})

const build = ensureBuilt(log, options.ref)
log(`measuring the server of: ${build.label}`)
const machine = await machineInfo(options.databaseUrl)
log(`load average ${machine.loadAtStart.join(' / ')} on ${machine.nproc} CPUs`)

// A build before the lifecycle (8649e3c and older) has no create or transition routes.
const lifecycle = hasLifecycle(build)
const lacking = (names: string[]) => (lifecycle ? names : names.filter((n) => !LIFECYCLE_SCENARIOS.includes(n)))
if (!lifecycle && (options.scenarios ?? MAIN_SCENARIOS).some((n) => LIFECYCLE_SCENARIOS.includes(n)))
  log(`skipping ${LIFECYCLE_SCENARIOS.join(', ')}: ${build.label} has no lifecycle routes`)
const chosen = (names: string[]) => (options.scenarios ? names.filter((n) => options.scenarios!.includes(n)) : names)
const mainScenarios = lacking(options.scenarios ?? MAIN_SCENARIOS)
if (mainScenarios.length === 0 && !options.curve) throw new Error('no scenario left to measure')
const curveScenarios = options.curve ? chosen(CURVE_SCENARIOS) : []
const curveSizes = options.curve ? [100_000, 1_000_000, ...(options.scale ? [10_000_000] : [])] : []

const main = await ensurePostgresTarget(options.databaseUrl, options.tickets, options.seed, options.fresh, log, build.ref)
const embedded =
  options.embeddedTickets > 0 ? await ensureEmbeddedTarget(options.embeddedTickets, options.seed, options.fresh, log, build.ref) : undefined
const curveTargets: BenchTarget[] = []
for (const size of curveSizes)
  curveTargets.push(
    size === options.tickets ? main : await ensurePostgresTarget(options.databaseUrl, size, options.seed, options.fresh, log, build.ref),
  )

if (options.loadOnly) {
  log('datasets loaded (--load-only)')
  process.exit(0)
}

interface Work {
  target: BenchTarget
  scenarios: string[]
  yardstick: boolean
  /** Measure the plain service (bench/plain-service.ts) beside the server. */
  plain: boolean
  /** Walk the big provider by cursor after the scenarios. */
  walk: boolean
}
const work: Work[] = [
  {
    target: main,
    scenarios: [...new Set([...mainScenarios, ...curveScenarios])],
    yardstick: options.yardstick,
    plain: options.plain,
    walk: options.walk,
  },
  ...(embedded ? [{ target: embedded, scenarios: mainScenarios, yardstick: false, plain: false, walk: options.walk }] : []),
  ...curveTargets
    .filter((t) => t !== main)
    .map((target) => ({ target, scenarios: curveScenarios, yardstick: false, plain: false, walk: false })),
]
// The plain service gets the pool the server gets: the same number of PostgreSQL connections.
const plainPoolSize = options.plain ? await servicePoolSize(build, main.env) : 0

const fmt = (m: Measurement) =>
  `${Math.round(m.rps)} req/s, p50 ${m.p50.toFixed(2)} p99 ${m.p99.toFixed(2)} ms` +
  (m.serverCpuMsPerRequest !== undefined ? `, server ${m.serverCpuMsPerRequest.toFixed(2)} ms/req` : '') +
  (m.pgCpuMsPerRequest !== undefined
    ? `, PG ${m.pgCpuMsPerRequest.toFixed(2)} ms/req (parallel workers ${m.pgParallelCpuMsPerRequest?.toFixed(2)} ms, ${m.pgParallelWorkersPerRequest?.toFixed(2)}/req)`
    : '') +
  (m.peakRssMb !== undefined ? `, peak RSS ${Math.round(m.peakRssMb)} MB` : '') +
  (m.loadGenCpuMsPerRequest !== undefined ? `, load-gen ${m.loadGenCpuMsPerRequest.toFixed(2)} ms/req` : '') +
  (m.otherCores !== undefined ? `, other processes ${m.otherCores.toFixed(2)} cores` : '') +
  (m.pool !== undefined
    ? `, pool ${m.pool} tickets${m.poolExhausted ? ' (EXHAUSTED: the window ended early; raise --pool-rate)' : ''}`
    : '') +
  (m.errors + m.timeouts + m.non2xx > 0
    ? `, ERRORS ${m.errors} timeouts ${m.timeouts} non-2xx ${m.non2xx} ${JSON.stringify(m.statuses)}`
    : '')

const admin = new pg.Client({ connectionString: databaseUrl(options.databaseUrl, 'postgres') })
await admin.connect()
const rows: ResultRow[] = []
const walks: Array<{ run: number; store: string; tickets: number; walk: WalkResult }> = []
try {
  for (let run = 1; run <= options.runs; run++) {
    for (const { target, scenarios, yardstick, plain, walk } of work) {
      // PATCH runs leave dead row versions behind (every PATCH writes a new one) faster than
      // autovacuum's thresholds notice at this size; each run starts from a vacuumed table.
      if (target.databaseUrl) await vacuumTickets(target.databaseUrl)
      // The mixed load gets a server of its own: its peak RSS is then that of the mixed load,
      // not the heap earlier scenarios (limit=1000 pages) left behind.
      const groups = [scenarios.filter((s) => s !== 'mixed'), scenarios.filter((s) => s === 'mixed')].filter((group) => group.length > 0)
      for (const [g, group] of groups.entries()) {
        const last = g === groups.length - 1
        const server = await startServer(
          { ...target, env: { ...target.env, TICKETS_LOG_LEVEL: options.logLevel } },
          { cpuProf: options.cpuProf },
        )
        running = server
        try {
          const tokens = await providerTokens(server, target, lifecycle)
          const pgProbe = target.kind === 'postgres' ? { admin, database: target.name } : undefined
          for (const scenario of group) {
            // A transition gets one request per ticket in the state it starts from (bench/lifecycle.ts).
            const operations = isTransition(scenario)
              ? await transitionOperations(scenario, {
                  server,
                  tokens,
                  meta: target.meta,
                  seed: options.seed + run,
                  needed: Math.ceil((options.warmup + options.duration) * options.poolRate) + 3,
                  log,
                })
              : scenario === FEED_SCENARIO
                ? await feedOperations({ server, tokens, meta: target.meta, seed: options.seed, databaseUrl: target.databaseUrl, log })
                : buildOperations(scenario, target.meta, options.seed)
            const load = {
              server,
              tokens,
              operations,
              concurrency: options.concurrency,
              duration: options.duration,
              warmup: options.warmup,
              cursor: { next: 0 },
            }
            await preflight(load)
            const measurement = await measureHttp({ ...load, ...(pgProbe ? { pg: pgProbe } : {}) })
            const base = { run, store: target.kind, tickets: target.tickets, scenario }
            rows.push({ ...base, mode: 'http', measurement, loadavg: loadNow() })
            log(`run ${run} ${target.name} ${scenario}: ${fmt(measurement)}`)
            // The lifecycle's writes have no yardstick: their recorded statements cannot be
            // replayed (a transition is valid once per ticket, a create inserts a fixed id).
            if (yardstick && target.databaseUrl && !LIFECYCLE_SCENARIOS.includes(scenario)) {
              const floor = await measureSql({ ...load, build, databaseUrl: target.databaseUrl, database: target.name, admin })
              rows.push({ ...base, mode: 'sql', measurement: floor, loadavg: loadNow() })
              log(
                `run ${run} ${target.name} ${scenario} (SQL yardstick): ${fmt(floor)}; HTTP/SQL ${(measurement.rps / floor.rps).toFixed(2)}`,
              )
            }
            if (plain && target.databaseUrl && PLAIN_SCENARIOS.includes(scenario)) {
              const { server: _service, ...requests } = load
              const figure = await measurePlain({
                ...requests,
                databaseUrl: target.databaseUrl,
                poolSize: plainPoolSize,
                cpuProf: options.cpuProf,
                ...(pgProbe ? { pg: pgProbe } : {}),
              })
              rows.push({ ...base, mode: 'plain', measurement: figure, loadavg: loadNow() })
              log(
                `run ${run} ${target.name} ${scenario} (plain service): ${fmt(figure)}; service ÷ plain ${(measurement.rps / figure.rps).toFixed(2)}`,
              )
            }
          }
          const patch = rows.find(
            (r) =>
              r.run === run &&
              r.store === target.kind &&
              r.tickets === target.tickets &&
              r.mode === 'http' &&
              r.scenario === 'patch-processed',
          )
          for (const r of rows.filter(
            (r) =>
              r.run === run &&
              r.store === target.kind &&
              r.tickets === target.tickets &&
              r.mode === 'http' &&
              LIFECYCLE_SCENARIOS.includes(r.scenario) &&
              group.includes(r.scenario),
          ))
            log(
              `run ${run} ${target.name} ${r.scenario} ÷ patch-processed: ` +
                (patch ? `${(r.measurement.rps / patch.measurement.rps).toFixed(2)} (target ≥ 0.70)` : 'no patch-processed in this run'),
            )
          if (walk && last) {
            const result = await walkByCursor(server, tokens.get(target.meta.providers[0]!.id)!, WALK_PAGE_SIZE)
            walks.push({ run, store: target.kind, tickets: target.tickets, walk: result })
            log(
              `run ${run} ${target.name} cursor walk: ${result.tickets} tickets in ${result.pages} pages, ${result.seconds.toFixed(1)} s; page p50 ` +
                `${result.startP50.toFixed(1)} / ${result.middleP50.toFixed(1)} / ${result.endP50.toFixed(1)} ms (start / middle / end); by offset ` +
                result.offsetP50.map((o) => `${o.offset}: ${o.ms.toFixed(1)} ms`).join(', ') +
                (result.problems.length ? `; PROBLEMS: ${result.problems.join('; ')}` : ''),
            )
          }
        } finally {
          await server.stop()
          running = undefined
          const stderr = server.stderr().trim()
          if (stderr) log(`server stderr (${target.name}):\n${stderr.slice(-4000)}`)
        }
      }
    }
  }
} finally {
  await admin.end()
}

const summaries = summarize(rows)
// A --ref run draws its own chart, so that measuring an old commit keeps the current one.
const chartName = `performance-scale${build.ref ? `-${build.ref}` : ''}.svg`
const report = renderReport({
  options,
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  build: build.label,
  chart: chartName,
  machine,
  meta: main.meta,
  imports: [main, ...(embedded ? [embedded] : []), ...curveTargets.filter((t) => t !== main)].map((t) => ({
    store: t.kind,
    name: t.name,
    figures: t.imported ?? loadImportFigures(t.name),
  })),
  mainScenarios,
  curveScenarios,
  curveSizes,
  summaries,
  rows,
  walks,
})
const outDir = resolve(ROOT, options.out)
mkdirSync(outDir, { recursive: true })
const stamp = machine.date.replace(/[:.]/g, '-')
const json = JSON.stringify({ options, machine, rows, summaries, walks }, null, 2)
for (const name of [stamp, 'latest']) {
  writeFileSync(join(outDir, `${name}.md`), report)
  writeFileSync(join(outDir, `${name}.json`), json)
}
if (curveSizes.length > 0) {
  const series = curveScenarios.map((scenario) => ({
    name: scenario,
    points: curveSizes.flatMap((tickets) => {
      const s = find(summaries, { store: 'postgres', mode: 'http', tickets, scenario })
      return s ? [{ tickets, p50: s.p50, p99: s.p99 }] : []
    }),
  }))
  const subtitle = `PostgreSQL ${machine.postgres}, ${machine.nproc} CPUs, concurrency ${options.concurrency}, median of ${options.runs} run(s), ${machine.date.slice(0, 10)}`
  writeFileSync(join(ROOT, 'docs', chartName), scaleChart(series, `Latency against table size (${build.label})`, subtitle))
  log(`wrote docs/${chartName}`)
}
process.stdout.write(report)
log(`wrote ${join(options.out, `${stamp}.md`)} and .json (also latest.md/latest.json)`)
if (options.cpuProf) log(`CPU profiles of the server are in ${PROFILE_DIR} (open them in Chrome DevTools → Performance)`)
const failures = summaries.filter((s) => s.errors + s.non2xx > 0)
if (failures.length > 0) {
  log(`FAILED: errors or non-2xx in ${failures.map((s) => `${s.store}/${s.mode}/${s.scenario}`).join(', ')}`)
  process.exitCode = 1
}
const badWalks = walks.filter((w) => w.walk.problems.length > 0)
if (badWalks.length > 0) {
  log(`FAILED: the cursor walk went wrong on ${badWalks.map((w) => `${w.store} run ${w.run}`).join(', ')}`)
  process.exitCode = 1
}
