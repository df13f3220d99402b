// The bench's command-line flags, their defaults and their meaning (bench/README.md lists them).
import { parseArgs } from 'node:util'

export interface BenchOptions {
  tickets: number
  embeddedTickets: number
  seed: number
  concurrency: number
  duration: number
  warmup: number
  runs: number
  /** The req/s a lifecycle transition's ticket pool is sized for (bench/lifecycle.ts). */
  poolRate: number
  scenarios: string[] | undefined
  stores: Array<'postgres' | 'embedded'>
  /** The SQL yardstick (bench/sql-load.ts). */
  yardstick: boolean
  /** The plain-service yardstick (bench/plain-service.ts); off with --no-yardstick too. */
  plain: boolean
  walk: boolean
  curve: boolean
  scale: boolean
  fresh: boolean
  loadOnly: boolean
  ref: string | undefined
  cpuProf: boolean
  /** The server's TICKETS_LOG_LEVEL: warn (the bench's default) logs no request lines, info one per request. */
  logLevel: string
  databaseUrl: string
  out: string
}

const HELP = `Usage: npm run bench -- [options]

  --tickets N            PostgreSQL dataset size (default 1000000)
  --embedded-tickets N   embedded-store dataset size (default 100000; 0 skips the embedded store)
  --concurrency C        concurrent connections / SQL clients (default 10)
  --duration S           measured seconds per scenario (default 10)
  --warmup S             warm-up seconds before each measurement (default 2)
  --runs K               repeat everything K times; figures are medians (default 3)
  --scenario NAME        only this scenario (repeatable, or comma-separated; see bench/scenarios.ts)
  --pool-rate R          req/s the join/release/close ticket pools are sized for (default 1000)
  --no-yardstick         skip both yardsticks (direct SQL and the plain service)
  --no-plain             skip the plain-service yardstick only
  --no-walk              skip the cursor walk through the big provider
  --curve                also run the scale curve (100k and 1M tickets)
  --scale                with --curve, add 10M tickets (long: the import alone takes many minutes)
  --fresh                drop and reload the bench databases and data directories
  --load-only            load (or check) the datasets, then stop
  --ref COMMIT           measure the server of that commit (its own stores, suffixed _<sha>)
  --cpu-prof             run the server under node --cpu-prof (profiles in .bench/profiles)
  --log-level LEVEL      the server's TICKETS_LOG_LEVEL (default warn: no request lines; info logs each request)
  --seed N               dataset seed (default 1)
  --database-url URL     PostgreSQL server (default postgres://postgres@127.0.0.1:5432)
  --out DIR              where results go (default .bench/results)
`

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback
  const value = Number(raw.replace(/_/g, ''))
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${raw}"`)
  return value
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function logLevel(raw: string | undefined): string {
  if (raw === undefined) return 'warn'
  if (!LOG_LEVELS.includes(raw)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`)
  return raw
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      tickets: { type: 'string' },
      'embedded-tickets': { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      runs: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      'pool-rate': { type: 'string' },
      'no-yardstick': { type: 'boolean' },
      'no-plain': { type: 'boolean' },
      'no-walk': { type: 'boolean' },
      curve: { type: 'boolean' },
      scale: { type: 'boolean' },
      fresh: { type: 'boolean' },
      'load-only': { type: 'boolean' },
      ref: { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      'log-level': { type: 'string' },
      'database-url': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(HELP)
    process.exit(0)
  }
  const embeddedTickets = positiveInt('embedded-tickets', values['embedded-tickets'], 100_000, 0)
  return {
    tickets: positiveInt('tickets', values.tickets, 1_000_000, 1_000),
    embeddedTickets,
    seed: positiveInt('seed', values.seed, 1),
    concurrency: positiveInt('concurrency', values.concurrency, 10),
    duration: positiveInt('duration', values.duration, 10),
    warmup: positiveInt('warmup', values.warmup, 2, 0),
    runs: positiveInt('runs', values.runs, 3),
    poolRate: positiveInt('pool-rate', values['pool-rate'], 1000),
    // --scenario a --scenario b, or --scenario a,b
    scenarios: values.scenario?.flatMap((name) => name.split(',').filter(Boolean)),
    stores: embeddedTickets > 0 ? ['postgres', 'embedded'] : ['postgres'],
    yardstick: !values['no-yardstick'],
    plain: !values['no-yardstick'] && !values['no-plain'],
    walk: !values['no-walk'] && values.scenario === undefined,
    curve: values.curve ?? false,
    scale: values.scale ?? false,
    fresh: values.fresh ?? false,
    loadOnly: values['load-only'] ?? false,
    ref: values.ref,
    cpuProf: values['cpu-prof'] ?? false,
    logLevel: logLevel(values['log-level']),
    databaseUrl: (values['database-url'] ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
    out: values.out ?? '.bench/results',
  }
}
