// Hostile load while a partner works. Starts `tickets serve` as a child process with its
// DEFAULT limits (rate limits, per-client concurrency, timeouts, connection cap all as shipped),
// measures a well-behaved partner's polls and /healthz for a baseline period, then, all at once
// and from this machine over loopback: malformed and oversized token requests, slowloris
// sockets, and a flood of token requests for made-up client ids, while the partner keeps
// polling. Prints what the partner saw before and during, how the attack was answered, and the
// server's RSS and CPU. Bounded in time and count; kills the server at the end.
//
//   npx tsx scripts/attack.ts [--store embedded|postgres] [--duration S] [--baseline S]
//                             [--malformed N] [--bogus N] [--slowloris N] [--concurrency C]
//                             [--sources K] [--database-url URL] [--log-level L]
//
// Exit code 1 if a partner poll failed, /healthz missed once, an attack request got a 5xx other
// than 503, the server died, or the partner's p99 during the attack exceeded 5× its baseline.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { cliEntry, ensureBuilt, runCli } from '../bench/cli.js'
import { generateTickets } from '../src/demo/generate-tickets.js'
import { spawn } from 'node:child_process'
import type { AttackOrders, AttackReports } from './attack-worker.js'
import {
  coresBetween,
  fetchToken,
  fmtCounts,
  fmtMs,
  percentile,
  poll,
  sampleProcess,
  serverEnv,
  sleep,
  startServerChild,
  table,
  within,
  type FloodReport,
  type Sample,
} from './hostile.js'

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'embedded' },
    duration: { type: 'string', default: '60' },
    baseline: { type: 'string', default: '20' },
    malformed: { type: 'string', default: '10000' },
    bogus: { type: 'string', default: '10000' },
    slowloris: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '50' },
    sources: { type: 'string', default: '1' },
    tickets: { type: 'string', default: '300' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'log-level': { type: 'string', default: 'info' },
  },
})
const store = values.store
if (store !== 'embedded' && store !== 'postgres') throw new Error('--store must be embedded or postgres')
const num = (name: keyof typeof values) => {
  const n = Number(values[name])
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number`)
  return n
}
const durationMs = num('duration') * 1000
const baselineMs = num('baseline') * 1000
const concurrency = num('concurrency')
const sourceCount = num('sources')
// 127.0.0.x: all loopback (Linux routes 127/8 to lo); several only to show the per-address limit's reach.
const sources = sourceCount > 1 ? Array.from({ length: Math.min(sourceCount, 250) }, (_, i) => `127.0.0.${i + 2}`) : undefined

const PROVIDER = 'a7a7a7a7-0000-4000-8000-000000000001'
const POLL_PATH = '/v2/tickets/tickets?state=closed&limit=25'
const log = (line: string) => process.stderr.write(`${line}\n`)

const scratch = mkdtempSync(join(tmpdir(), 'tickets-attack-'))
let databaseName: string | undefined
const adminUrl = values['database-url']!

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

async function prepareStore(): Promise<Record<string, string>> {
  if (store === 'embedded') return { TICKETS_DATA_DIR: join(scratch, 'data') }
  databaseName = `attack_${randomBytes(4).toString('hex')}`
  await admin(`CREATE DATABASE ${databaseName}`)
  const url = new URL(adminUrl)
  url.pathname = `/${databaseName}`
  return { TICKETS_DATABASE_URL: url.toString() }
}

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runCli(args, env)
  if (result.code !== 0) throw new Error(`tickets ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`)
  return result.stdout
}

function latency(samples: Sample[]) {
  const ok = samples.filter((s) => s.status === 200).map((s) => s.ms)
  return {
    count: samples.length,
    failed: samples.length - ok.length,
    p50: percentile(ok, 50),
    p99: percentile(ok, 99),
    max: Math.max(...ok),
  }
}

/** The attack in its own process (scripts/attack-worker.ts), so the partner's timings here are not its event loop's. */
function runAttacker(orders: AttackOrders): Promise<AttackReports> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'attack-worker.ts'), JSON.stringify(orders)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`the attacker exited with ${code}`))
      try {
        resolve(JSON.parse(out) as AttackReports)
      } catch (error) {
        reject(error as Error)
      }
    })
  })
}

// JSON turns NaN into null.
const fmtS = (s: number | null) => (s === null || !Number.isFinite(s) ? 'n/a' : `${s.toFixed(1)} s`)

const flood = (r: FloodReport) => `${r.sent} sent in ${r.seconds.toFixed(1)} s → ${fmtCounts(r.counts)}`
const count5xx = (r: FloodReport) =>
  Object.entries(r.counts)
    .filter(([k]) => /^5\d\d$/.test(k) && k !== '503')
    .reduce((n, [, v]) => n + v, 0)

async function main(): Promise<number> {
  ensureBuilt(log)
  const storeEnv = await prepareStore()
  // Only what the test setup needs is set: every limit keeps its default.
  const env = serverEnv({ ...storeEnv, TICKETS_LOG_LEVEL: values['log-level']! })

  log(`creating the partner client and importing ${values.tickets} tickets …`)
  const created = JSON.parse(await cli(['clients', 'create', '--provider', PROVIDER, '--name', 'Partner ERP', '--json'], env)) as {
    client_id: string
    client_secret: string
  }
  const ndjson = join(scratch, 'tickets.ndjson')
  writeFileSync(
    ndjson,
    [...generateTickets({ count: num('tickets'), seed: 7, providerId: PROVIDER, firstTicketNumber: 500_000 })]
      .map((t) => JSON.stringify(t))
      .join('\n') + '\n',
  )
  await cli(['import', ndjson, '--provider', PROVIDER], env)

  const server = await startServerChild(cliEntry(), env, join(scratch, 'server.log'))
  log(`server pid ${server.pid} on ${server.baseUrl} (${store})`)
  try {
    const granted = await fetchToken(server.baseUrl, created.client_id, created.client_secret)
    if (!granted.token) throw new Error(`the partner got no token: ${granted.status}`)
    const partnerHeaders = { authorization: `Bearer ${granted.token}` }
    // Warm the route and the store before measuring.
    for (let i = 0; i < 10; i++) await (await fetch(`${server.baseUrl}${POLL_PATH}`, { headers: partnerHeaders })).arrayBuffer()

    const proc = sampleProcess(server.pid, 1000)
    const partner = poll(`${server.baseUrl}${POLL_PATH}`, 200, partnerHeaders)
    const health = poll(`${server.baseUrl}/healthz`, 100)
    log(`baseline: ${baselineMs / 1000} s of partner polls …`)
    await sleep(baselineMs)

    log(
      `attack: ${values.malformed} malformed, ${values.bogus} made-up ids (${concurrency} at a time each), ${values.slowloris} slowloris sockets, up to ${durationMs / 1000} s …`,
    )
    const attackStart = performance.now()
    const attacker = runAttacker({
      host: server.host,
      port: server.port,
      ...(sources ? { sources } : {}),
      durationMs,
      malformed: num('malformed'),
      bogus: num('bogus'),
      concurrency,
      slowloris: num('slowloris'),
      lineEveryMs: 3000,
    })
    // Mid-attack (the floods have long used up the per-address quota by then), the partner asks
    // for a fresh token from the same address as the attack.
    const midToken = sleep(Math.min(15_000, durationMs / 2)).then(() =>
      fetchToken(server.baseUrl, created.client_id, created.client_secret).catch((e: Error) => ({ status: 0, error: e.message })),
    )
    const reports = await attacker
    const attackEnd = performance.now()
    const floods = [reports.malformed, reports.bogus] as const
    const floodsDone = attackStart + reports.floodsDoneMs
    const lorisReport = reports.slowloris
    const partnerToken = await midToken
    const partnerSamples = await partner.stop()
    const healthSamples = await health.stop()
    const procSamples = proc.stop()
    const alive = server.exit() === undefined

    const before = latency(partnerSamples.filter((s) => s.at < attackStart))
    const during = latency(within(partnerSamples, attackStart, attackEnd))
    const duringFloods = latency(within(partnerSamples, attackStart, floodsDone))
    const healthBefore = healthSamples.filter((s) => s.at < attackStart)
    const healthDuring = healthSamples.filter((s) => s.at >= attackStart)
    const healthFailed = healthSamples.filter((s) => s.status !== 200)
    const baseProc = within(procSamples, 0, attackStart)
    const attackProc = within(procSamples, attackStart, attackEnd + 1)
    const rssOf = (s: typeof procSamples) => s.map((p) => p.rssMb)
    const ratio = during.p99 / before.p99
    const errorLines = server
      .log()
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l)).length
    const fiveXx = count5xx(floods[0]) + count5xx(floods[1])
    const partnerFailures = partnerSamples.filter((s) => s.status !== 200)

    const rows: Array<[string, string]> = [
      [
        'store',
        `${store}; server pid ${server.pid}; default limits; log level ${values['log-level']}; attack from ${sources ? `${sources.length} addresses 127.0.0.2…` : '127.0.0.1'}`,
      ],
      [
        'partner polls (GET ' + POLL_PATH + ' every 200 ms)',
        `${partnerSamples.length}, failed ${partnerFailures.length}${partnerFailures.length ? ` (${fmtCounts(Object.fromEntries(partnerFailures.map((s) => [s.error ?? String(s.status), 1])))})` : ''}`,
      ],
      [
        '  before the attack',
        `${before.count} polls in ${(baselineMs / 1000).toFixed(0)} s: p50 ${fmtMs(before.p50)}, p99 ${fmtMs(before.p99)}, max ${fmtMs(before.max)}`,
      ],
      [
        '  during the attack',
        `${during.count} polls in ${((attackEnd - attackStart) / 1000).toFixed(0)} s: p50 ${fmtMs(during.p50)}, p99 ${fmtMs(during.p99)}, max ${fmtMs(during.max)}`,
      ],
      [
        '  while the floods ran',
        `${duringFloods.count} polls in ${((floodsDone - attackStart) / 1000).toFixed(0)} s: p50 ${fmtMs(duringFloods.p50)}, p99 ${fmtMs(duringFloods.p99)}`,
      ],
      ['  p99 during / before', `${ratio.toFixed(2)}× (target < 5×); p50 ${(during.p50 / before.p50).toFixed(2)}×`],
      ['  partner token request mid-attack', `${partnerToken.status} (same source address as the attack)`],
      [
        '/healthz every 100 ms',
        `${healthSamples.length} sent, ${healthSamples.length - healthFailed.length} answered 200, ${healthFailed.length} failed; during the attack p99 ${fmtMs(latency(healthDuring).p99)} (before ${fmtMs(latency(healthBefore).p99)})`,
      ],
      ['malformed/oversized token requests', flood(floods[0])],
      ...Object.entries(floods[0].byKind).map(([kind, counts]): [string, string] => [`  ${kind}`, fmtCounts(counts)]),
      ['made-up client ids', flood(floods[1])],
      ['attacker CPU (its own process)', `${(reports.cpuMs / 1000).toFixed(1)} s`],
      [
        'slowloris sockets',
        `${num('slowloris')} held open for ${(durationMs / 1000).toFixed(0)} s, replaced when closed: ${lorisReport.opened} opened, ${lorisReport.closedByServer} closed by the server, ${lorisReport.openAtEnd} open at the end (closed by us)`,
      ],
      [
        '  closed by the server after',
        `min ${fmtS(lorisReport.lifetime.min)}, p50 ${fmtS(lorisReport.lifetime.p50)}, max ${fmtS(lorisReport.lifetime.max)}; answers before closing: ${fmtCounts(lorisReport.answered)}`,
      ],
      ['  connect errors', fmtCounts(lorisReport.connectErrors)],
      ['5xx other than 503 to the attack', String(fiveXx)],
      ['server error log lines (level ≥ 50)', String(errorLines)],
      [
        'server RSS',
        `baseline ${Math.max(...rssOf(baseProc)).toFixed(0)} MB, peak during attack ${Math.max(...rssOf(attackProc)).toFixed(0)} MB, at the end ${procSamples.at(-1)!.rssMb.toFixed(0)} MB`,
      ],
      [
        'server CPU',
        `baseline ${coresBetween(baseProc[0], baseProc.at(-1)).toFixed(2)} cores, during the attack ${coresBetween(attackProc[0], attackProc.at(-1)).toFixed(2)} cores`,
      ],
      ['server alive after the attack', alive ? 'yes' : `NO: ${JSON.stringify(server.exit())} ${server.stderr().slice(-2000)}`],
    ]
    process.stdout.write(`\n${table(rows)}\n`)

    const problems = [
      partnerFailures.length > 0 && `${partnerFailures.length} partner polls failed`,
      healthFailed.length > 0 && `${healthFailed.length} /healthz probes failed`,
      fiveXx > 0 && `${fiveXx} attack requests got a 5xx other than 503`,
      !alive && 'the server died',
      !(ratio < 5) && `partner p99 during the attack is ${ratio.toFixed(2)}× the baseline`,
    ].filter(Boolean)
    process.stdout.write(problems.length === 0 ? '\nverdict: PASS\n' : `\nverdict: FAIL: ${problems.join('; ')}\n`)
    return problems.length === 0 ? 0 : 1
  } finally {
    await server.stop(10_000)
  }
}

let code = 1
try {
  code = await main()
} catch (error) {
  log(`attack: ${(error as Error).stack ?? String(error)}`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
  if (databaseName)
    await admin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch((e: Error) =>
      log(`could not drop ${databaseName}: ${e.message}`),
    )
}
process.exit(code)
