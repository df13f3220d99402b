// The yardstick: a scenario's SQL (recorded from the measured build's store, bench/sql-plan.ts)
// executed straight against PostgreSQL with `pg`, N clients at the same concurrency as the HTTP
// load, for the same duration. No HTTP, no auth: the floor no HTTP service on this store can beat.
import type pg from 'pg'
import type { Build } from './cli.js'
import { otherCores, ownCpuMs, perRequest, pgFigures, type Measurement } from './http-load.js'
import { machineBusyMs, PgCpuProbe } from './procstat.js'
import type { Operation } from './scenarios.js'
import { openReplayPool, recordPlans, replayParameters, versionOf, type SqlPlan } from './sql-plan.js'
import { percentile, Samples } from './stats.js'

export interface SqlLoad {
  build: Build
  databaseUrl: string
  database: string
  admin: pg.Client
  operations: Operation[]
  concurrency: number
  duration: number
  warmup: number
}

async function runSession(pool: pg.Pool, session: SqlPlan['sessions'][number]): Promise<void> {
  const client = await pool.connect()
  try {
    let version: string | undefined
    for (const statement of session) version = versionOf(await client.query(statement.sql, replayParameters(statement, version))) ?? version
  } catch (error) {
    if (session.length > 1) await client.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}

const execute = (pool: pg.Pool, plan: SqlPlan) => Promise.all(plan.sessions.map((session) => runSession(pool, session)))

async function hammer(pool: pg.Pool, plans: SqlPlan[], concurrency: number, seconds: number) {
  const latencies = new Samples()
  let cursor = 0
  let errors = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  const worker = async () => {
    while (performance.now() < deadline) {
      const plan = plans[cursor++ % plans.length]!
      const t0 = performance.now()
      try {
        await execute(pool, plan)
        latencies.push(performance.now() - t0)
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { latencies, errors, seconds: (performance.now() - started) / 1000 }
}

export async function measureSql(load: SqlLoad): Promise<Measurement> {
  const plans = await recordPlans(load.build, load.databaseUrl, load.operations)
  const pool = await openReplayPool(load.build, load.databaseUrl, load.concurrency)
  try {
    if (load.warmup > 0) await hammer(pool, plans, load.concurrency, load.warmup)
    const probe = new PgCpuProbe(load.admin, load.database)
    await probe.start()
    const ownBefore = ownCpuMs()
    const busyBefore = machineBusyMs()
    const shot = await hammer(pool, plans, load.concurrency, load.duration)
    const busyAfter = machineBusyMs()
    const ownAfter = ownCpuMs()
    const pgCpu = await probe.stop()
    const requests = shot.latencies.length
    const busy = busyBefore !== undefined && busyAfter !== undefined ? busyAfter - busyBefore : undefined
    const others = otherCores(busy, ownAfter - ownBefore + pgCpu.ms, shot.seconds)
    return {
      ...(others !== undefined ? { otherCores: others } : {}),
      requests,
      seconds: shot.seconds,
      rps: requests / shot.seconds,
      p50: percentile(shot.latencies.values(), 50),
      p99: percentile(shot.latencies.values(), 99),
      errors: shot.errors,
      timeouts: 0,
      non2xx: 0,
      statuses: {},
      loadGenCpuMsPerRequest: perRequest(ownAfter - ownBefore, requests),
      ...pgFigures(pgCpu, requests),
    }
  } finally {
    await pool.end()
  }
}
