// One HTTP measurement: autocannon (in this process) replays a scenario's operations against
// the server at a fixed concurrency, after a warm-up; server and PostgreSQL CPU are read from
// /proc around the measured window. Latency is recorded per response with sub-ms precision.
import autocannon from 'autocannon'
import type pg from 'pg'
import { cpuMs, machineBusyMs, peakRssMb, PgCpuProbe, resetPeakRss, type PgCpu } from './procstat.js'
import { TICKETS_PATH, type Operation } from './operation.js'
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
  /** A consuming scenario (lifecycle transition): tickets in its pool, and whether the load used them all up. */
  pool?: number
  poolExhausted?: boolean
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
  /**
   * The headers that say whom a request is for; by default the provider's bearer token. The
   * plain service (bench/plain-service.ts) takes the provider's id in a header instead.
   */
  identify?: (providerId: string) => Record<string, string>
  operations: Operation[]
  concurrency: number
  duration: number
  warmup: number
  /** For the PostgreSQL store: where to find the backends. */
  pg?: { admin: pg.Client; database: string }
  /**
   * Where a consuming scenario (operations[].consumes) stands in its list: preflight, warm-up and
   * measurement each continue from it, so no operation is sent twice.
   */
  cursor?: { next: number }
}

const consumes = (load: HttpLoad) => load.operations[0]?.consumes === true

function cursorOf(load: HttpLoad): { next: number } {
  if (!consumes(load)) return { next: 0 }
  if (!load.cursor) throw new Error('a consuming scenario needs a shared cursor')
  return load.cursor
}

function headersFor(operation: Operation, load: HttpLoad): Record<string, string> {
  const headers: Record<string, string> = load.identify
    ? load.identify(operation.providerId)
    : { authorization: `Bearer ${load.tokens.get(operation.providerId)}` }
  if (operation.body !== undefined)
    headers['content-type'] = operation.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'
  return headers
}

/** Sends the first few operations one by one and fails loudly on anything but 200 (201 for a create). */
export async function preflight(load: HttpLoad, count = 3): Promise<void> {
  const cursor = cursorOf(load)
  const first = load.operations.slice(cursor.next, cursor.next + count)
  cursor.next += first.length
  for (const operation of first) {
    const response = await fetch(`${load.server.baseUrl}${operation.path}`, {
      method: operation.method,
      headers: headersFor(operation, load),
      ...(operation.body !== undefined ? { body: operation.body } : {}),
    })
    const text = await response.text()
    const expected = operation.method === 'POST' && operation.ticketId === undefined ? 201 : 200
    if (response.status !== expected) throw new Error(`${operation.method} ${operation.path} → ${response.status}: ${text.slice(0, 500)}`)
  }
}

interface Cannonade {
  result: autocannon.Result
  latencies: Samples
  statuses: Record<string, number>
  seconds: number
  /** A consuming scenario ran out of operations. */
  exhausted: boolean
}

function fire(load: HttpLoad, seconds: number): Promise<Cannonade> {
  const { operations } = load
  const consuming = consumes(load)
  const cursor = cursorOf(load)
  let exhausted = false
  const latencies = new Samples()
  const statuses: Record<string, number> = {}
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: load.server.baseUrl,
        connections: load.concurrency,
        duration: seconds,
        // A consuming scenario sends each operation once: at most what is left of its list.
        ...(consuming ? { maxOverallRequests: Math.max(load.concurrency, operations.length - cursor.next) } : {}),
        requests: [
          {
            setupRequest: (request) => {
              if (consuming && cursor.next >= operations.length) {
                // Out of tickets (autocannon may build a request it never sends): a harmless read.
                exhausted = true
                const last = operations.at(-1)!
                return { ...request, method: 'GET', path: `${TICKETS_PATH}/${last.ticketId}`, headers: headersFor(last, load), body: '' }
              }
              const operation = operations[cursor.next++ % operations.length]!
              if (consuming && cursor.next >= operations.length) exhausted = true
              return {
                ...request,
                method: operation.method,
                path: operation.path,
                headers: headersFor(operation, load),
                body: operation.body ?? '',
              }
            },
          },
        ],
      },
      (error, result) => {
        if (error) reject(error as Error)
        else resolve({ result, latencies, statuses, seconds: (performance.now() - started) / 1000, exhausted })
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
  if (consumes(load)) {
    measurement.pool = load.operations.length
    measurement.poolExhausted = shot.exhausted
  }
  const accounted = cpuAfter - cpuBefore + (ownAfter - ownBefore) + (pgCpu?.ms ?? 0)
  const others = otherCores(
    busyBefore !== undefined && busyAfter !== undefined ? busyAfter - busyBefore : undefined,
    accounted,
    shot.seconds,
  )
  if (others !== undefined) measurement.otherCores = others
  return pgCpu ? { ...measurement, ...pgFigures(pgCpu, requests) } : measurement
}
