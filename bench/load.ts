// Loading the dataset into a bench store through the service's own CLI import, or reusing a
// store loaded earlier: PostgreSQL database tickets_bench_<N> (reused when it holds N tickets),
// embedded data directory .bench/embedded-<N> (reused when its marker names this dataset).
// A --ref build gets stores of its own (…_<sha>): its schema and indexes are its own.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { ROOT, runCliOrThrow, serviceEnv } from './cli.js'
import { BENCH_CREATED } from './lifecycle.js'
import { datasetMeta, ensureDatasetFile, generatorHash, type DatasetMeta } from './dataset.js'

export const BENCH_DIR = join(ROOT, '.bench')
const DATA_DIR = join(BENCH_DIR, 'data')

export interface ImportFigures {
  tickets: number
  /** As the CLI reported it (staging, checks, upsert, ANALYZE; excludes process start-up). */
  cliSeconds: number
  cliLinesPerSecond: number
  /** The whole `tickets import` process, start to exit. */
  wallSeconds: number
  /** The bench's own VACUUM ANALYZE afterwards (PostgreSQL only; the embedded import runs its own). */
  vacuumSeconds?: number
  generatedSeconds?: number
}

export interface BenchTarget {
  kind: 'postgres' | 'embedded'
  name: string
  tickets: number
  /** The service environment that points at this store. */
  env: Record<string, string>
  databaseUrl?: string
  meta: DatasetMeta
  imported?: ImportFigures
}

export function databaseUrl(base: string, database: string): string {
  const url = new URL(base)
  url.pathname = `/${database}`
  return url.toString()
}

export async function withAdmin<T>(base: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(base, 'postgres') })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

async function ticketCount(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    // Not counting the tickets the lifecycle scenarios created (bench/lifecycle.ts marks them).
    const result = await client.query<{ n: string }>(
      `SELECT count(*) FILTER (WHERE customer_reference IS DISTINCT FROM '${BENCH_CREATED}') AS n FROM tickets`,
    )
    return Number(result.rows[0]!.n)
  } catch {
    return undefined
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function importFile(ndjson: string, env: Record<string, string>, tickets: number): Promise<ImportFigures> {
  const started = performance.now()
  // Before acefd79 the default statement timeout (10 s) cancelled the upsert of a large import,
  // so the bench lifts it for the import process (a --ref build may be that old).
  const result = await runCliOrThrow(['import', ndjson], serviceEnv({ ...env, TICKETS_STATEMENT_TIMEOUT_MS: '0' }))
  const wallSeconds = (performance.now() - started) / 1000
  const match = /imported (\d+) tickets .* in ([\d.]+) s, (\d+) lines\/s/.exec(result.stderr)
  if (!match || Number(match[1]) !== tickets) throw new Error(`unexpected import report: ${result.stderr.trim()}`)
  return { tickets, cliSeconds: Number(match[2]), cliLinesPerSecond: Number(match[3]), wallSeconds }
}

function describeImport(figures: ImportFigures): string {
  return (
    `imported ${figures.tickets} tickets: ${figures.cliSeconds.toFixed(1)} s, ${figures.cliLinesPerSecond} lines/s as the CLI reports it; ` +
    `${figures.wallSeconds.toFixed(1)} s for the whole process` +
    (figures.vacuumSeconds !== undefined ? `; VACUUM ANALYZE ${figures.vacuumSeconds.toFixed(1)} s` : '')
  )
}

/** `VACUUM ANALYZE tickets` on the bench database; returns the seconds it took. */
export async function vacuumTickets(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const started = performance.now()
    await client.query('VACUUM ANALYZE tickets')
    // The event feed's plans need fresh statistics as much (a feed read planned on an empty
    // table's estimates sorts every event of the provider instead of walking its index).
    if ((await client.query(`SELECT to_regclass('ticket_events') IS NOT NULL AS present`)).rows[0].present)
      await client.query('VACUUM ANALYZE ticket_events')
    return (performance.now() - started) / 1000
  } finally {
    await client.end()
  }
}

/** The bench database of a dataset: one per size, seed and measured build (schemas differ). */
export function postgresTargetName(tickets: number, seed: number, ref?: string): string {
  return `tickets_bench_${tickets}${seed === 1 ? '' : `_s${seed}`}${ref ? `_${ref}` : ''}`
}

export async function ensurePostgresTarget(
  base: string,
  tickets: number,
  seed: number,
  fresh: boolean,
  log: (line: string) => void,
  ref?: string,
): Promise<BenchTarget> {
  const name = postgresTargetName(tickets, seed, ref)
  const url = databaseUrl(base, name)
  const env = { TICKETS_DATABASE_URL: url }
  if (!fresh && (await ticketCount(url)) === tickets) {
    log(`reusing database ${name} (${tickets} tickets)`)
    return { kind: 'postgres', name, tickets, env, databaseUrl: url, meta: await datasetMeta(DATA_DIR, tickets, seed) }
  }
  const { ndjson, meta, generatedSeconds } = await ensureDatasetFile(DATA_DIR, tickets, seed, log)
  await withAdmin(base, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${name}`)
  })
  rmSync(clientsFile(name), { force: true })
  log(`importing ${tickets} tickets into ${name} through tickets import …`)
  const imported = await importFile(ndjson, env, tickets)
  // Autovacuum would get there eventually; doing it now makes runs independent of its timing.
  imported.vacuumSeconds = await vacuumTickets(url)
  if (generatedSeconds !== undefined) imported.generatedSeconds = generatedSeconds
  log(describeImport(imported))
  const target: BenchTarget = { kind: 'postgres', name, tickets, env, databaseUrl: url, meta, imported }
  saveImportFigures(target)
  return target
}

export async function ensureEmbeddedTarget(
  tickets: number,
  seed: number,
  fresh: boolean,
  log: (line: string) => void,
  ref?: string,
): Promise<BenchTarget> {
  const name = `embedded-${tickets}${seed === 1 ? '' : `-s${seed}`}${ref ? `-${ref}` : ''}`
  const dir = join(BENCH_DIR, name)
  const marker = join(dir, 'bench-dataset.json')
  const env = { TICKETS_DATA_DIR: dir }
  const wanted = JSON.stringify({ tickets, seed, generator: generatorHash() })
  if (!fresh && existsSync(marker) && readFileSync(marker, 'utf8') === wanted) {
    log(`reusing embedded store ${dir}`)
    return { kind: 'embedded', name, tickets, env, meta: await datasetMeta(DATA_DIR, tickets, seed) }
  }
  const { ndjson, meta, generatedSeconds } = await ensureDatasetFile(DATA_DIR, tickets, seed, log)
  rmSync(dir, { recursive: true, force: true })
  rmSync(clientsFile(name), { force: true })
  log(`importing ${tickets} tickets into the embedded store ${dir} …`)
  const imported = await importFile(ndjson, env, tickets)
  if (generatedSeconds !== undefined) imported.generatedSeconds = generatedSeconds
  writeFileSync(marker, wanted)
  log(describeImport(imported))
  const target: BenchTarget = { kind: 'embedded', name, tickets, env, meta, imported }
  saveImportFigures(target)
  return target
}

export function clientsFile(targetName: string): string {
  return join(BENCH_DIR, 'clients', `${targetName}.json`)
}

// The import figures of the load that made a cached store, so every report can show them.
const importsFile = (targetName: string) => join(BENCH_DIR, 'imports', `${targetName}.json`)

export function saveImportFigures(target: BenchTarget): void {
  if (!target.imported) return
  mkdirSync(join(BENCH_DIR, 'imports'), { recursive: true })
  writeFileSync(importsFile(target.name), JSON.stringify({ ...target.imported, measuredAt: new Date().toISOString() }))
}

export function loadImportFigures(targetName: string): (ImportFigures & { measuredAt: string }) | undefined {
  try {
    return JSON.parse(readFileSync(importsFile(targetName), 'utf8')) as ImportFigures & { measuredAt: string }
  } catch {
    return undefined
  }
}
