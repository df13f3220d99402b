// The import's yardstick (issue #11: "import of 1M tickets ≤ 2× COPY of the same rows plus index
// builds, in the same run"). Each round, each on a fresh database:
//   import  `tickets import <file>` of the bench's NDJSON, the whole CLI process timed (the
//           schema is migrated before, untimed), for the working tree and for each --ref build;
//   COPY    the rows that import produced, every column of `tickets` (its stored documents
//           included, as a dump holds them), `COPY … FROM STDIN` into the migrated table with
//           its primary key and unique ticket_number in place but none of its 18 secondary
//           indexes and no triggers; then, timed too: CREATE of those indexes, the counters the
//           statement triggers keep (one INSERT … SELECT … GROUP BY per counter table), the
//           ticket_numbers sequence, ANALYZE (the import ends with one).
// Prints each round and the medians, with the ratio import ÷ COPY-and-indexes, and the noise
// figure: the machine's other work (busy CPU minus the measured CLI and PostgreSQL backends), in cores.
//
//   npx tsx bench/import-yardstick.ts [--tickets 1000000] [--rounds 3] [--ref main] [--data-dir .bench/data]
import { spawn } from 'node:child_process'
import { createReadStream, createWriteStream, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { TABLES } from '../src/store/migrations/0002-ticket-counts.js'
import { ensureBuilt, ROOT, serviceEnv, type Build } from './cli.js'
import { ensureDatasetFile } from './dataset.js'
import { cpuMs, machineBusyMs } from './procstat.js'
import { databaseUrl, withAdmin } from './load.js'

const { values: flags } = parseArgs({
  options: {
    tickets: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    ref: { type: 'string', multiple: true, default: [] },
    'data-dir': { type: 'string', default: join(ROOT, '.bench/data') },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
})
const base = flags['database-url']
const log = (line: string) => process.stderr.write(`${line}\n`)
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

interface Timed {
  seconds: number
  /** The machine's busy CPU besides the measured processes, in cores. */
  otherCores: number
}

/** Fresh database, schema migrated by `build` (untimed). */
async function freshDatabase(name: string, build: Build): Promise<string> {
  await withAdmin(base, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`)
    await admin.query(`CREATE DATABASE ${name}`)
  })
  const url = databaseUrl(base, name)
  await runProcess(build.entry, ['migrate'], url)
  return url
}

const dropDatabase = (name: string) => withAdmin(base, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name}`))

/**
 * Runs `tickets <args>` to completion. The CPU of the CLI process and of the database's backends
 * is sampled while it runs (the last sample of a process that ends counts), for the noise figure.
 */
async function runProcess(entry: string, args: string[], url: string, database?: string): Promise<Timed & { stderr: string }> {
  const env = serviceEnv({ TICKETS_DATABASE_URL: url, TICKETS_STATEMENT_TIMEOUT_MS: '0' })
  const admin = database ? new pg.Client({ connectionString: databaseUrl(base, 'postgres') }) : undefined
  await admin?.connect()
  const seen = new Map<number, { first: number; last: number }>()
  const note = (pid: number, ms: number | undefined, start = 0) => {
    if (ms === undefined) return
    const entryFor = seen.get(pid)
    if (entryFor) entryFor.last = ms
    else seen.set(pid, { first: start, last: ms })
  }
  const busyBefore = machineBusyMs()
  const started = performance.now()
  const child = spawn(process.execPath, [entry, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const sample = async () => {
    note(child.pid!, cpuMs(child.pid!))
    if (!admin) return
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
      [database],
    )
    // A backend first seen now may have started before the sample: its CPU so far is counted.
    for (const { pid } of rows) note(pid, cpuMs(pid))
  }
  const timer = setInterval(() => void sample().catch(() => undefined), 250)
  const code = await new Promise<number>((resolve) => child.once('close', (exit) => resolve(exit ?? 1)))
  clearInterval(timer)
  const seconds = (performance.now() - started) / 1000
  const busy = machineBusyMs()
  await admin?.end()
  if (code !== 0) throw new Error(`tickets ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-2000)}`)
  const accounted = [...seen.values()].reduce((sum, { first, last }) => sum + (last - first), 0)
  return { seconds, stderr, otherCores: otherCores(busyBefore, busy, accounted, seconds) }
}

function otherCores(before: number | undefined, after: number | undefined, accountedMs: number, seconds: number): number {
  if (before === undefined || after === undefined) return Number.NaN
  return Math.max(0, after - before - accountedMs) / 1000 / seconds
}

async function timeImport(build: Build, name: string, file: string, dumpTo?: string): Promise<Timed> {
  const url = await freshDatabase(name, build)
  try {
    const run = await runProcess(build.entry, ['import', file], url, name)
    if (dumpTo) await dumpTickets(url, dumpTo)
    return run
  } finally {
    await dropDatabase(name)
  }
}

/** The rows exactly as the import left them, every column, in their physical order. */
async function dumpTickets(url: string, path: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await pipeline(client.query(copyTo('COPY tickets TO STDOUT')), createWriteStream(path))
  } finally {
    await client.end()
  }
}

interface CopyFigures extends Timed {
  copy: number
  indexes: number
  derived: number
}

async function timeCopy(build: Build, name: string, dump: string): Promise<CopyFigures> {
  const url = await freshDatabase(name, build)
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' })
  await client.connect()
  try {
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(`
      SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = 'tickets'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
      ORDER BY i.relname`)
    for (const index of indexes) await client.query(`DROP INDEX ${pg.escapeIdentifier(index.name)}`)
    await client.query('ALTER TABLE tickets DISABLE TRIGGER USER')
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
    const cpuBefore = cpuMs(backend)! + cpuMs(process.pid)!
    const busyBefore = machineBusyMs()
    const started = performance.now()
    await pipeline(createReadStream(dump), client.query(copyFrom('COPY tickets FROM STDIN')))
    const copied = performance.now()
    // The same setting the import builds its indexes with (import-sql.ts).
    await client.query("SET maintenance_work_mem = '128MB'")
    for (const index of indexes) await client.query(index.definition)
    const indexed = performance.now()
    await client.query('BEGIN')
    for (const { table, key } of TABLES) {
      const where = table === 'ticket_counts_by_customer' ? 'WHERE customer_id IS NOT NULL' : ''
      await client.query(
        `INSERT INTO ${table} (${key.map(([column]) => column).join(', ')}, n)
         SELECT ${key.map(([, , expression]) => expression).join(', ')}, count(*) FROM tickets ${where}
         GROUP BY ${key.map((_, i) => i + 1).join(', ')}`,
      )
    }
    await client.query("SELECT setval('ticket_numbers', max(ticket_number)) FROM tickets")
    await client.query('COMMIT')
    await client.query('ANALYZE tickets')
    const done = performance.now()
    const seconds = (done - started) / 1000
    const accounted = cpuMs(backend)! + cpuMs(process.pid)! - cpuBefore
    await client.query('ALTER TABLE tickets ENABLE TRIGGER USER')
    return {
      seconds,
      copy: (copied - started) / 1000,
      indexes: (indexed - copied) / 1000,
      derived: (done - indexed) / 1000,
      otherCores: otherCores(busyBefore, machineBusyMs(), accounted, seconds),
    }
  } finally {
    await client.end()
    await dropDatabase(name)
  }
}

const tickets = Number(flags.tickets)
const rounds = Number(flags.rounds)
const { ndjson } = await ensureDatasetFile(flags['data-dir'], tickets, Number(flags.seed), log)
const refs = flags.ref.map((ref) => ensureBuilt(log, ref))
const tree = ensureBuilt(log)
const builds = [...refs, tree]
const dump = join(tmpdir(), `import-yardstick-${process.pid}.copy`)
const results = new Map<string, Timed[]>(builds.map((build) => [build.label, []]))
const copies: CopyFigures[] = []
const fmt = (t: Timed) => `${t.seconds.toFixed(1)} s (other processes ${t.otherCores.toFixed(2)} cores)`

log(`${tickets} tickets from ${ndjson}, ${rounds} round(s); builds: ${builds.map((b) => b.label).join(', ')}`)
try {
  for (let round = 1; round <= rounds; round++) {
    // The order alternates between rounds, so that a drift in the machine's load favours no one.
    const order = round % 2 ? builds : [...builds].reverse()
    for (const build of order) {
      const run = await timeImport(
        build,
        `import_yard_${build.ref ?? 'tree'}`,
        ndjson,
        copies.length === 0 && build === tree ? dump : undefined,
      )
      results.get(build.label)!.push(run)
      log(`round ${round}: import, ${build.label}: ${fmt(run)}`)
      if (copies.length < round && build === tree) {
        const copy = await timeCopy(tree, 'import_yard_copy', dump)
        copies.push(copy)
        log(
          `round ${round}: COPY ${copy.copy.toFixed(1)} s + indexes ${copy.indexes.toFixed(1)} s + counters, sequence, ANALYZE ` +
            `${copy.derived.toFixed(1)} s = ${fmt(copy)}`,
        )
      }
    }
  }
} finally {
  rmSync(dump, { force: true })
}

const copyMedian = median(copies.map((c) => c.seconds))
const lines = [
  `| what | median s | rounds s | ÷ COPY and indexes | other processes (cores, median) |`,
  `|---|---|---|---|---|`,
  `| COPY + indexes + counters (${median(copies.map((c) => c.copy)).toFixed(1)} + ${median(copies.map((c) => c.indexes)).toFixed(1)} + ${median(copies.map((c) => c.derived)).toFixed(1)}) | ${copyMedian.toFixed(1)} | ${copies.map((c) => c.seconds.toFixed(1)).join(', ')} | 1.00 | ${median(copies.map((c) => c.otherCores)).toFixed(2)} |`,
  ...builds.map((build) => {
    const runs = results.get(build.label)!
    const ratios = runs.map((run, i) => run.seconds / copies[i]!.seconds)
    return `| tickets import, ${build.label} | ${median(runs.map((r) => r.seconds)).toFixed(1)} | ${runs.map((r) => r.seconds.toFixed(1)).join(', ')} | ${median(ratios).toFixed(2)} (per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}) | ${median(runs.map((r) => r.otherCores)).toFixed(2)} |`
  }),
]
process.stdout.write(`${lines.join('\n')}\n`)
