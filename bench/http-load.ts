// One HTTP measurement: autocannon (in this process) replays a scenario's operations against
// the server at a fixed concurrency, after a warm-up; server and PostgreSQL CPU are read from
// /proc around the measured window. Latency is recorded per response with sub-ms precision.
import autocannon from 'autocannon'
import type pg from 'pg'
import { cpuMs, machineBusyMs, peakRssMb, PgCpuProbe, resetPeakRss, type PgCpu } from './procstat.js'
import type { Operation } from './scenarios.js'
import type { RunningServer } from './server.js'
import { percentile, Samples } from './stats.js'

export interface Measurement {
  requests: number
  seconds: number
  rps: number
  p50: number
  p99: number
  errors: number
  timeouts: number
  non2xx: number
  statuses: Record<string, number>
  serverCpuMsPerRequest?: number
  pgCpuMsPerRequest?: number
  /** PostgreSQL backends that exited during the window (their CPU is missing). */
  pgBackendsLost?: number
  /** Of pgCpuMsPerRequest, what parallel workers spent; and how many workers ran per request. */
  pgParallelCpuMsPerRequest?: number
  pgParallelWorkersPerRequest?: number
  peakRssMb?: number
  /** CPU of the bench process itself (autocannon, or the yardstick's pg clients) per request. */
  loadGenCpuMsPerRequest?: number
  /** Cores' worth of CPU that everything else on the machine used during the window. */
  otherCores?: number
}

/** Everything the machine did in the window minus what the bench accounted for, in cores. */
export function otherCores(busyMs: number | undefined, accountedMs: number, seconds: number): number | undefined {
  return busyMs === undefined ? undefined : Math.max(0, busyMs - accountedMs) / 1000 / seconds
}

/** ms per request, NaN when nothing completed. */
export const perRequest = (ms: number, requests: number) => (requests > 0 ? ms / requests : Number.NaN)

export function pgFigures(cpu: PgCpu, requests: number): Partial<Measurement> {
  return {
    pgCpuMsPerRequest: perRequest(cpu.ms, requests),
    pgParallelCpuMsPerRequest: perRequest(cpu.parallelMs, requests),
    pgParallelWorkersPerRequest: perRequest(cpu.parallelWorkers, requests),
    pgBackendsLost: cpu.lost,
  }
}

export const ownCpuMs = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

export interface HttpLoad {
  server: RunningServer
  tokens: Map<string, string>
  operations: Operation[]
  concurrency: number
  duration: number
  warmup: number
  /** For the PostgreSQL store: where to find the backends. */
  pg?: { admin: pg.Client; database: string }
}

function headersFor(operation: Operation, tokens: Map<string, string>): Record<string, string> {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens.get(operation.providerId)}` }
  if (operation.body !== undefined) headers['content-type'] = 'application/merge-patch+json'
  return headers
}

/** Sends the first few operations one by one and fails loudly on anything but 200. */
export async function preflight(load: HttpLoad, count = 3): Promise<void> {
  for (const operation of load.operations.slice(0, count)) {
    const response = await fetch(`${load.server.baseUrl}${operation.path}`, {
      method: operation.method,
      headers: headersFor(operation, load.tokens),
      ...(operation.body !== undefined ? { body: operation.body } : {}),
    })
    const text = await response.text()
    if (response.status !== 200) throw new Error(`${operation.method} ${operation.path} → ${response.status}: ${text.slice(0, 500)}`)
  }
}

interface Cannonade {
  result: autocannon.Result
  latencies: Samples
  statuses: Record<string, number>
  seconds: number
}

function fire(load: HttpLoad, seconds: number): Promise<Cannonade> {
  const { operations, tokens } = load
  let cursor = 0
  const latencies = new Samples()
  const statuses: Record<string, number> = {}
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: load.server.baseUrl,
        connections: load.concurrency,
        duration: seconds,
        requests: [
          {
            setupRequest: (request) => {
              const operation = operations[cursor++ % operations.length]!
              return {
                ...request,
                method: operation.method,
                path: operation.path,
                headers: headersFor(operation, tokens),
                body: operation.body ?? '',
              }
            },
          },
        ],
      },
      (error, result) => {
        if (error) reject(error as Error)
        else resolve({ result, latencies, statuses, seconds: (performance.now() - started) / 1000 })
      },
    )
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime)
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
    })
  })
}

export async function measureHttp(load: HttpLoad): Promise<Measurement> {
  if (load.warmup > 0) await fire(load, load.warmup)
  const pid = load.server.pid
  resetPeakRss(pid)
  const cpuBefore = cpuMs(pid)!
  const probe = load.pg && new PgCpuProbe(load.pg.admin, load.pg.database)
  await probe?.start()
  const ownBefore = ownCpuMs()
  const busyBefore = machineBusyMs()
  const shot = await fire(load, load.duration)
  const busyAfter = machineBusyMs()
  const ownAfter = ownCpuMs()
  const cpuAfter = cpuMs(pid)!
  const pgCpu = await probe?.stop()
  const requests = shot.latencies.length
  const measurement: Measurement = {
    requests,
    seconds: shot.seconds,
    rps: requests / shot.seconds,
    p50: percentile(shot.latencies.values(), 50),
    p99: percentile(shot.latencies.values(), 99),
    errors: shot.result.errors,
    timeouts: shot.result.timeouts,
    non2xx: shot.result.non2xx,
    statuses: shot.statuses,
    serverCpuMsPerRequest: perRequest(cpuAfter - cpuBefore, requests),
    loadGenCpuMsPerRequest: perRequest(ownAfter - ownBefore, requests),
  }
  const peak = peakRssMb(pid)
  if (peak !== undefined) measurement.peakRssMb = peak
  const accounted = cpuAfter - cpuBefore + (ownAfter - ownBefore) + (pgCpu?.ms ?? 0)
  const others = otherCores(
    busyBefore !== undefined && busyAfter !== undefined ? busyAfter - busyBefore : undefined,
    accounted,
    shot.seconds,
  )
  if (others !== undefined) measurement.otherCores = others
  return pgCpu ? { ...measurement, ...pgFigures(pgCpu, requests) } : measurement
}
