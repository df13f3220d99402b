// A soak: mixed load for N minutes (default 10) against `tickets serve` as a child process,
// with rate and concurrency limits off (the load generator is one client sending far more than
// a partner may; the point is leaks and failures, not refusals). The mix is bench/scenarios.ts's
// (polls, lists with filters, get by id, PATCH of the external fields) plus token requests and
// walks of several pages by cursor. The server's RSS is read from /proc every 5 s.
//
//   npx tsx scripts/soak.ts [--minutes N] [--store embedded|postgres] [--concurrency C]
//                           [--tickets N] [--database-url URL]
//
// Prints requests by status, the 5xx check, RSS after warm-up vs at the end, p50/p99. Exit code
// 1 on any 5xx or transport error, RSS growth ≥ 10 %, or a server that died.
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { cliEntry, ensureBuilt, runCli, serviceEnv } from '../bench/cli.js'
import { buildDataset } from '../bench/dataset.js'
import { buildOperations, TICKETS_PATH, type Operation } from '../bench/scenarios.js'
import { Samples } from '../bench/stats.js'
import { seededRandom } from '../src/demo/generate-tickets.js'
import { coresBetween, fetchToken, fmtCounts, fmtMs, percentile, sampleProcess, startServerChild, table, type Counts } from './hostile.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    store: { type: 'string', default: 'embedded' },
    concurrency: { type: 'string', default: '8' },
    tickets: { type: 'string', default: '20000' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
})
const store = values.store
if (store !== 'embedded' && store !== 'postgres') throw new Error('--store must be embedded or postgres')
const minutes = Number(values.minutes)
const concurrency = Number(values.concurrency)
const ticketCount = Number(values.tickets)
if (!(minutes > 0) || !(concurrency > 0) || !(ticketCount > 0))
  throw new Error('--minutes, --concurrency and --tickets must be positive numbers')
const durationMs = minutes * 60_000
// The first minute (a fifth of a short run) warms caches, JIT and pools; growth is measured after it.
const warmupMs = Math.min(60_000, durationMs / 5)
const WINDOW_MS = 30_000
/** Providers that get an API client (the first is the big one; the others are in its tail). */
const PROVIDERS = 3

const log = (line: string) => process.stderr.write(`${line}\n`)
const scratch = mkdtempSync(join(tmpdir(), 'tickets-soak-'))
const adminUrl = values['database-url']!
let databaseName: string | undefined

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runCli(args, env)
  if (result.code !== 0) throw new Error(`tickets ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`)
  return result.stdout
}

interface Stats {
  byKind: Map<string, Counts>
  latencies: Samples
  byKindLatency: Map<string, Samples>
}

function record(stats: Stats, kind: string, status: string, ms: number) {
  let counts = stats.byKind.get(kind)
  if (!counts) stats.byKind.set(kind, (counts = {}))
  counts[status] = (counts[status] ?? 0) + 1
  if (!/^\d{3}$/.test(status)) return
  stats.latencies.push(ms)
  let samples = stats.byKindLatency.get(kind)
  if (!samples) stats.byKindLatency.set(kind, (samples = new Samples()))
  samples.push(ms)
}

async function timed(stats: Stats, kind: string, url: string, init: RequestInit): Promise<{ status: number; text: string } | undefined> {
  const started = performance.now()
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) })
    const text = await response.text()
    record(stats, kind, String(response.status), performance.now() - started)
    return { status: response.status, text }
  } catch (error) {
    const e = error as { name?: string; cause?: { code?: string } }
    record(stats, kind, e.cause?.code ?? e.name ?? 'error', performance.now() - started)
    return undefined
  }
}

async function main(): Promise<number> {
  ensureBuilt(log)
  let storeEnv: Record<string, string>
  if (store === 'embedded') storeEnv = { TICKETS_DATA_DIR: join(scratch, 'data') }
  else {
    databaseName = `soak_${randomBytes(4).toString('hex')}`
    await admin(`CREATE DATABASE ${databaseName}`)
    const url = new URL(adminUrl)
    url.pathname = `/${databaseName}`
    storeEnv = { TICKETS_DATABASE_URL: url.toString() }
  }
  // Limits off (serviceEnv), everything else as shipped.
  const env = serviceEnv(storeEnv)

  log(`generating and importing ${ticketCount} tickets …`)
  const ndjson = join(scratch, 'tickets.ndjson')
  const out = createWriteStream(ndjson)
  const fullMeta = await buildDataset(ticketCount, 3, async (chunk) => {
    if (!out.write(chunk)) await once(out, 'drain')
  })
  out.end()
  await once(out, 'finish')
  await cli(['import', ndjson], env)
  const providers = fullMeta.providers.slice(0, PROVIDERS)
  const meta = { ...fullMeta, providers, tickets: providers.reduce((n, p) => n + p.count, 0) }
  const credentials = new Map<string, { client_id: string; client_secret: string }>()
  for (const provider of providers)
    credentials.set(provider.id, JSON.parse(await cli(['clients', 'create', '--provider', provider.id, '--name', 'soak', '--json'], env)))

  const server = await startServerChild(cliEntry(), env, join(scratch, 'server.log'))
  log(`server pid ${server.pid} on ${server.baseUrl} (${store}); ${concurrency} connections for ${minutes} min …`)
  try {
    const tokens = new Map<string, string>()
    for (const [providerId, c] of credentials) {
      const granted = await fetchToken(server.baseUrl, c.client_id, c.client_secret)
      if (!granted.token) throw new Error(`no token for ${providerId}: ${granted.status}`)
      tokens.set(providerId, granted.token)
    }
    const operations = buildOperations('mixed', meta, 1)
    const stats: Stats = { byKind: new Map(), latencies: new Samples(), byKindLatency: new Map() }
    const proc = sampleProcess(server.pid, 5000)
    const started = performance.now()
    const deadline = started + durationMs
    let progressAt = started + 60_000

    const worker = async (w: number) => {
      const random = seededRandom(1000 + w)
      let next = Math.floor(random() * operations.length)
      let patches = 0
      while (performance.now() < deadline) {
        const roll = random()
        const provider = providers[Math.floor(random() * providers.length)]!
        const auth = { authorization: `Bearer ${tokens.get(provider.id)}` }
        if (roll < 0.03) {
          const c = credentials.get(provider.id)!
          const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret })
          await timed(stats, 'token', `${server.baseUrl}/oauth2/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body,
          })
        } else if (roll < 0.08) {
          // A walk of up to 5 pages by cursor, as the client package's processing loop does.
          const query = 'state=closed&sort_by[created_at]=desc&limit=100'
          let after: string | null | undefined
          for (let page = 0; page < 5 && after !== null; page++) {
            const url = `${server.baseUrl}${TICKETS_PATH}?${query}${after ? `&after=${encodeURIComponent(after)}` : ''}`
            const response = await timed(stats, 'cursor-page', url, { headers: auth })
            after = response?.status === 200 ? (JSON.parse(response.text) as { next: string | null }).next : null
          }
        } else {
          const op: Operation = operations[next++ % operations.length]!
          const headers = { authorization: `Bearer ${tokens.get(op.providerId)}` }
          if (op.method === 'PATCH') {
            const body = JSON.stringify({ externally_processed: true, external_reference: `SOAK-${w}-${patches++}` })
            await timed(stats, op.scenario, `${server.baseUrl}${op.path}`, {
              method: 'PATCH',
              headers: { ...headers, 'content-type': 'application/merge-patch+json' },
              body,
            })
          } else await timed(stats, op.scenario, `${server.baseUrl}${op.path}`, { headers })
        }
        if (w === 0 && performance.now() > progressAt) {
          progressAt += 60_000
          log(
            `  ${((performance.now() - started) / 60_000).toFixed(0)} min: ${stats.latencies.length} requests, RSS ${proc.samples.at(-1)?.rssMb.toFixed(0)} MB`,
          )
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)))
    const seconds = (performance.now() - started) / 1000
    const samples = proc.stop()
    const alive = server.exit() === undefined

    const all: Counts = {}
    for (const counts of stats.byKind.values()) for (const [status, n] of Object.entries(counts)) all[status] = (all[status] ?? 0) + n
    const total = Object.values(all).reduce((a, b) => a + b, 0)
    const fiveXx = Object.entries(all)
      .filter(([s]) => /^5\d\d$/.test(s))
      .reduce((n, [, v]) => n + v, 0)
    const transport = Object.entries(all)
      .filter(([s]) => !/^\d{3}$/.test(s))
      .reduce((n, [, v]) => n + v, 0)
    const median = (xs: number[]) => percentile(xs, 50)
    const afterWarmup = samples.filter((s) => s.at >= started + warmupMs && s.at < started + warmupMs + WINDOW_MS)
    const atEnd = samples.filter((s) => s.at >= started + durationMs - WINDOW_MS)
    const rssWarm = median(afterWarmup.map((s) => s.rssMb))
    const rssEnd = median(atEnd.map((s) => s.rssMb))
    const growth = ((rssEnd - rssWarm) / rssWarm) * 100
    const l = stats.latencies.values()

    const rows: Array<[string, string]> = [
      ['store', `${store}; ${ticketCount} tickets; server pid ${server.pid}; rate and concurrency limits off; ${concurrency} connections`],
      ['duration', `${(seconds / 60).toFixed(1)} min; ${total} requests, ${(total / seconds).toFixed(0)}/s`],
      ['requests by status', fmtCounts(all)],
      ...[...stats.byKind.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, counts]): [string, string] => {
          const ms = stats.byKindLatency.get(kind)?.values() ?? new Float64Array()
          return [`  ${kind}`, `${fmtCounts(counts)}; p50 ${fmtMs(percentile(ms, 50))}, p99 ${fmtMs(percentile(ms, 99))}`]
        }),
      ['5xx', fiveXx === 0 ? '0 (ok)' : `${fiveXx} (FAIL)`],
      ['transport errors', String(transport)],
      ['latency, all requests', `p50 ${fmtMs(percentile(l, 50))}, p99 ${fmtMs(percentile(l, 99))}, max ${fmtMs(percentile(l, 100))}`],
      [
        'server RSS',
        `${afterWarmup.length ? rssWarm.toFixed(1) : 'n/a'} MB after warm-up (median over ${(warmupMs / 1000).toFixed(0)}–${((warmupMs + WINDOW_MS) / 1000).toFixed(0)} s), ` +
          `${rssEnd.toFixed(1)} MB at the end (median of the last ${WINDOW_MS / 1000} s): growth ${growth.toFixed(1)} % (limit 10 %); ` +
          `min ${Math.min(...samples.map((s) => s.rssMb)).toFixed(0)} MB, max ${Math.max(...samples.map((s) => s.rssMb)).toFixed(0)} MB over ${samples.length} samples`,
      ],
      ['server RSS by minute', rssByMinute(samples, started)],
      ['server CPU', `${coresBetween(samples[0], samples.at(-1)).toFixed(2)} cores on average`],
      ['server alive at the end', alive ? 'yes' : `NO: ${JSON.stringify(server.exit())} ${server.stderr().slice(-2000)}`],
    ]
    process.stdout.write(`\n${table(rows)}\n`)
    const problems = [
      fiveXx > 0 && `${fiveXx} responses were 5xx`,
      transport > 0 && `${transport} requests got no response`,
      !(growth < 10) && `RSS grew ${growth.toFixed(1)} % after warm-up`,
      !alive && 'the server died',
    ].filter(Boolean)
    process.stdout.write(problems.length === 0 ? '\nverdict: PASS\n' : `\nverdict: FAIL: ${problems.join('; ')}\n`)
    return problems.length === 0 ? 0 : 1
  } finally {
    await server.stop(30_000)
  }
}

function rssByMinute(samples: Array<{ at: number; rssMb: number }>, started: number): string {
  const minutes = new Map<number, number>()
  for (const s of samples) minutes.set(Math.max(0, Math.floor((s.at - started) / 60_000)), s.rssMb)
  return [...minutes.entries()].map(([m, mb]) => `${m}:${mb.toFixed(0)}`).join(' ')
}

let code = 1
try {
  code = await main()
} catch (error) {
  log(`soak: ${(error as Error).stack ?? String(error)}`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
  if (databaseName)
    await admin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch((e: Error) =>
      log(`could not drop ${databaseName}: ${e.message}`),
    )
}
process.exit(code)
