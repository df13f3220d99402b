// The attacker of scripts/attack.ts, in a process of its own: opening hundreds of connections
// keeps an event loop busy, and the partner's latency measured in the same process would
// include that wait. Reads its orders as JSON (argv[2]) and prints its reports as JSON.
import { bogusClientFlood, malformedTokenFlood, slowloris, type AttackTarget, type FloodReport, type SlowlorisReport } from './hostile.js'

export interface AttackOrders {
  host: string
  port: number
  sources?: string[]
  durationMs: number
  malformed: number
  bogus: number
  concurrency: number
  slowloris: number
  lineEveryMs: number
}

export interface AttackReports {
  malformed: FloodReport
  bogus: FloodReport
  /** ms after the worker started when both floods had finished (or were stopped). */
  floodsDoneMs: number
  slowloris: SlowlorisReport
  cpuMs: number
}

const orders = JSON.parse(process.argv[2]!) as AttackOrders
const started = performance.now()
const abort = new AbortController()
const timer = setTimeout(() => abort.abort(), orders.durationMs)
const target: AttackTarget = {
  host: orders.host,
  port: orders.port,
  signal: abort.signal,
  ...(orders.sources ? { sources: orders.sources } : {}),
}
const loris = slowloris(target, { sockets: orders.slowloris, lineEveryMs: orders.lineEveryMs, holdMs: orders.durationMs, reopen: true })
const [malformed, bogus] = await Promise.all([
  malformedTokenFlood(target, orders.malformed, orders.concurrency),
  bogusClientFlood(target, orders.bogus, orders.concurrency),
])
const floodsDoneMs = performance.now() - started
const lorisReport = await loris
clearTimeout(timer)
const usage = process.cpuUsage()
const reports: AttackReports = { malformed, bogus, floodsDoneMs, slowloris: lorisReport, cpuMs: (usage.user + usage.system) / 1000 }
process.stdout.write(JSON.stringify(reports))
