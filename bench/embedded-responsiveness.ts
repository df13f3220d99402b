// Does the server stay responsive while the embedded store works? Starts the server on a copy
// of the bench's embedded store (so nothing here changes the store `npm run bench` measures),
// and probes GET /healthz one request at a time from a thread of its own while, in turn:
// nothing else runs (idle), `limit=1000` pages load the server from C connections (pages), and
// `tickets import` upserts the first K tickets of the dataset through the server's session
// socket (import). /healthz touches no database: its latency is how long a request waits for
// the server's event loop.
//
//   npx tsx bench/embedded-responsiveness.ts [--ref COMMIT] [--tickets 100000] [--runs 3]
//     [--duration 10] [--concurrency 10] [--import-tickets 20000] [--interval 10]
//
// Figures are the medians over the runs of each run's p50/p99/max. "other processes" is the
// machine's busy CPU minus the server, this process and its children, in cores (the noise).
import { execFileSync } from 'node:child_process'
import { cpSync, createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import autocannon from 'autocannon'
import { ensureBuilt, runCliOrThrow, serviceEnv } from './cli.js'
import { ensureDatasetFile } from './dataset.js'
import { BENCH_DIR, ensureEmbeddedTarget, type BenchTarget } from './load.js'
import { cpuMs, machineBusyMs } from './procstat.js'
import { startServer, type RunningServer } from './server.js'
import { median, percentile } from './stats.js'

const { values } = parseArgs({
  options: {
    ref: { type: 'string' },
    tickets: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '10' },
    'import-tickets': { type: 'string', default: '20000' },
    interval: { type: 'string', default: '10' },
  },
})
const options = {
  tickets: Number(values.tickets),
  runs: Number(values.runs),
  duration: Number(values.duration),
  concurrency: Number(values.concurrency),
  importTickets: Number(values['import-tickets']),
  intervalMs: Number(values.interval),
}
const log = (line: string) => process.stderr.write(`responsiveness: ${line}\n`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// The prober, as plain JavaScript in a worker thread: the load generator (autocannon) shares
// this process's event loop, and must not delay the probes it is supposed to be measured by.
const PROBER = `
const { parentPort, workerData } = require('node:worker_threads')
const http = require('node:http')
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
let stopping = false
parentPort.once('message', () => (stopping = true))
const get = () => new Promise((resolve) => {
  const request = http.get(workerData.url, { agent }, (response) => {
    response.resume()
    response.on('end', () => resolve(response.statusCode === 200))
  })
  request.on('error', () => resolve(false))
})
;(async () => {
  const samples = []
  let failed = 0
  while (!stopping) {
    const started = performance.now()
    if (await get()) samples.push(performance.now() - started)
    else failed++
    await new Promise((resolve) => setTimeout(resolve, workerData.intervalMs))
  }
  parentPort.postMessage({ samples, failed })
})()
`

interface Probe {
  p50: number
  p99: number
  max: number
  probes: number
  failed: number
  /** Cores' worth of CPU the rest of the machine used meanwhile. */
  otherCores: number
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** CPU of this process's reaped children (the CLI commands it ran): /proc/self/stat cutime+cstime, in ms. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLK_TCK
}

/** Probes /healthz for as long as `work` runs; its result and what the probes saw. */
async function probeWhile<T>(server: RunningServer, work: () => Promise<T>): Promise<{ result: T; probe: Probe }> {
  const prober = new Worker(PROBER, { eval: true, workerData: { url: `${server.baseUrl}/healthz`, intervalMs: options.intervalMs } })
  const reported = once(prober, 'message') as Promise<[{ samples: number[]; failed: number }]>
  const accounted = () => cpuMs(server.pid)! + cpuMs(process.pid)! + childrenCpuMs()
  const busyBefore = machineBusyMs()!
  const accountedBefore = accounted()
  const started = performance.now()
  const result = await work()
  const seconds = (performance.now() - started) / 1000
  const others = (machineBusyMs()! - busyBefore - (accounted() - accountedBefore)) / 1000 / seconds
  prober.postMessage('stop')
  const [{ samples, failed }] = await reported
  await prober.terminate()
  return {
    result,
    probe: {
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: Math.max(...samples),
      probes: samples.length,
      failed,
      otherCores: Math.max(0, others),
    },
  }
}

/** `limit=1000` pages of the big provider from C connections for the measured duration. */
async function loadPages(server: RunningServer, token: string): Promise<{ rps: number; p50: number; non2xx: number }> {
  const result = await autocannon({
    url: `${server.baseUrl}/v2/tickets/tickets?limit=1000`,
    connections: options.concurrency,
    duration: options.duration,
    headers: { authorization: `Bearer ${token}` },
  })
  return { rps: result.requests.average, p50: result.latency.p50, non2xx: result.non2xx + result.errors }
}

/** The first K lines of the dataset (tickets the store holds: the import upserts them). */
async function importSlice(target: BenchTarget, dir: string): Promise<string> {
  const { ndjson } = await ensureDatasetFile(join(BENCH_DIR, 'data'), target.tickets, target.meta.seed, log)
  const slice = join(dir, `import-${options.importTickets}.ndjson`)
  const out = createWriteStream(slice)
  let lines = 0
  for await (const line of createInterface({ input: createReadStream(ndjson) })) {
    if (lines++ === options.importTickets) break
    if (!out.write(`${line}\n`)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return slice
}

async function bigProviderToken(server: RunningServer, target: BenchTarget): Promise<string> {
  const big = target.meta.providers[0]!.id
  const created = await runCliOrThrow(
    ['clients', 'create', '--provider', big, '--name', 'responsiveness', '--json'],
    serviceEnv(target.env),
  )
  const { client_id, client_secret } = JSON.parse(created.stdout) as { client_id: string; client_secret: string }
  const response = await fetch(`${server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id, client_secret }).toString(),
  })
  if (!response.ok) throw new Error(`token request failed: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { access_token: string }).access_token
}

interface RunFigures {
  idle: Probe
  pages: Probe & { pageRps: number; pageP50: number; pageFailures: number }
  import: Probe & { seconds: number }
}

async function measureRun(target: BenchTarget, scratch: string): Promise<RunFigures> {
  // A fresh copy per run: the import's upsert changes the store, and each run starts alike.
  const dataDir = join(scratch, 'store')
  rmSync(dataDir, { recursive: true, force: true })
  cpSync(join(BENCH_DIR, target.name), dataDir, { recursive: true })
  const copy: BenchTarget = { ...target, name: `${target.name}-responsiveness`, env: { TICKETS_DATA_DIR: dataDir } }
  const slice = await importSlice(target, scratch)
  const server = await startServer(copy, { cpuProf: false })
  try {
    const token = await bigProviderToken(server, copy)
    const idle = await probeWhile(server, () => sleep(options.duration * 1000))
    const pages = await probeWhile(server, () => loadPages(server, token))
    const started = performance.now()
    const imported = await probeWhile(server, () =>
      runCliOrThrow(['import', slice], serviceEnv({ ...copy.env, TICKETS_STATEMENT_TIMEOUT_MS: '0' })),
    )
    return {
      idle: idle.probe,
      pages: { ...pages.probe, pageRps: pages.result.rps, pageP50: pages.result.p50, pageFailures: pages.result.non2xx },
      import: { ...imported.probe, seconds: (performance.now() - started) / 1000 },
    }
  } finally {
    await server.stop()
  }
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '–')
const med = (runs: RunFigures[], pick: (run: RunFigures) => number) => median(runs.map(pick))

function report(label: string, runs: RunFigures[]): string {
  const rows = (['idle', 'pages', 'import'] as const).map((phase) => {
    const what = {
      idle: 'nothing else',
      pages: `limit=1000 pages, ${options.concurrency} connections`,
      import: `tickets import of ${options.importTickets} tickets`,
    }[phase]
    const extra =
      phase === 'pages'
        ? `${fmt(
            med(runs, (r) => r.pages.pageRps),
            1,
          )} pages/s, page p50 ${fmt(
            med(runs, (r) => r.pages.pageP50),
            1,
          )} ms, ${runs.reduce((n, r) => n + r.pages.pageFailures, 0)} failed`
        : phase === 'import'
          ? `${fmt(
              med(runs, (r) => r.import.seconds),
              1,
            )} s`
          : ''
    return (
      `| ${phase} (${what}) | ${fmt(med(runs, (r) => r[phase].p50))} | ${fmt(med(runs, (r) => r[phase].p99))} | ` +
      `${fmt(med(runs, (r) => r[phase].max))} | ${runs.reduce((n, r) => n + r[phase].probes, 0)} / ${runs.reduce((n, r) => n + r[phase].failed, 0)} | ` +
      `${fmt(med(runs, (r) => r[phase].otherCores))} | ${extra} |`
    )
  })
  return [
    `Embedded store, ${options.tickets} tickets, ${label}: GET /healthz latency (ms, medians of ${runs.length} runs)`,
    '',
    '| while | p50 | p99 | max | probes / failed | other processes (cores) | the load itself |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}

const build = ensureBuilt(log, values.ref)
const target = await ensureEmbeddedTarget(options.tickets, 1, false, log, build.ref)
const scratch = mkdtempSync(join(tmpdir(), 'wt-worker-responsiveness-'))
try {
  const runs: RunFigures[] = []
  for (let run = 1; run <= options.runs; run++) {
    log(`run ${run} of ${options.runs} (${build.label}) …`)
    runs.push(await measureRun(target, scratch))
  }
  process.stdout.write(report(build.label, runs))
  log(`per run: ${JSON.stringify(runs)}`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
