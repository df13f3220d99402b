// CPU time and peak memory of processes, read from /proc (Linux). CPU is utime+stime of the
// whole process (all threads), in clock ticks of 1/CLK_TCK s; memory is VmHWM (peak RSS).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import type { ExitedChild, SamplerInput, SamplerOutput } from './worker-sampler.js'
import type pg from 'pg'

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** utime+stime of a process in ms, or undefined if it has gone. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK
  } catch {
    return undefined
  }
}

function statusKb(pid: number, key: string): number | undefined {
  try {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : undefined
  } catch {
    return undefined
  }
}

/** Peak resident set size in MB since start or since the last resetPeakRss. */
export const peakRssMb = (pid: number) => {
  const kb = statusKb(pid, 'VmHWM')
  return kb === undefined ? undefined : kb / 1024
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs); false where the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** CPU ms of every client backend connected to `database`, by pid. */
export async function backendCpu(admin: pg.Client, database: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
    [database],
  )
  const cpu = new Map<number, number>()
  for (const { pid } of rows) {
    const ms = cpuMs(pid)
    if (ms !== undefined) cpu.set(pid, ms)
  }
  return cpu
}

/** CPU spent by backends between two snapshots; a backend that exited in between is counted as lost. */
export function backendCpuDelta(before: Map<number, number>, after: Map<number, number>): { ms: number; lost: number } {
  let ms = 0
  for (const [pid, end] of after) ms += end - (before.get(pid) ?? 0)
  let lost = 0
  for (const pid of before.keys()) if (!after.has(pid)) lost++
  return { ms, lost }
}

/** The parent of a process (the postmaster, for a PostgreSQL backend). */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/**
 * CPU of the parallel workers that the given backends started during a window, from the
 * postmaster's reaped-children CPU minus every other child that exited (worker-sampler.ts).
 * Children that exited before they could be identified are counted as the bench's workers, and
 * the last few ms of another child's life are too: on a machine where other databases are busy
 * the figure can be slightly high; it is exact when the bench is alone on the server.
 */
export class ParallelWorkerSampler {
  readonly #flag = new Int32Array(new SharedArrayBuffer(4))
  #worker: Worker | undefined
  #ready: Promise<void> | undefined

  start(postmaster: number): void {
    // The bench runs under tsx, whose loader a worker thread does not inherit: register it
    // in the worker first, then load the TypeScript module.
    const entry = new URL('./worker-sampler.ts', import.meta.url).href
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}) })`
    const input: SamplerInput = { flag: this.#flag, clkTck: CLK_TCK, postmaster }
    this.#worker = new Worker(boot, { eval: true, workerData: input })
    // Watching from its first scan on, which it reports with 'ready'.
    this.#ready = new Promise((resolve, reject) => {
      this.#worker!.once('message', () => resolve())
      this.#worker!.once('error', reject)
    })
  }

  get ready(): Promise<void> {
    return this.#ready ?? Promise.resolve()
  }

  /** Stops sampling; CPU ms of the workers of `leaders`, and how many there were. */
  async stop(leaders: Iterable<number>): Promise<{ ms: number; workers: number }> {
    const worker = this.#worker!
    await this.#ready
    const done = new Promise<SamplerOutput>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    Atomics.store(this.#flag, 0, 1)
    Atomics.notify(this.#flag, 0)
    const { postmasterChildrenMs, exited } = await done
    await worker.terminate()
    const ours = new Set(leaders)
    const mine = (c: ExitedChild) => !c.preexisting && (c.kind === 'unknown' || (c.kind === 'worker' && ours.has(c.leader!)))
    const others = exited.filter((c) => !mine(c)).reduce((sum, c) => sum + c.cpu, 0)
    return { ms: Math.max(0, postmasterChildrenMs - others), workers: exited.filter(mine).length }
  }
}

export interface PgCpu {
  /** Client backends plus their parallel workers. */
  ms: number
  parallelMs: number
  parallelWorkers: number
  /** Backends that exited during the window (their CPU is missing). */
  lost: number
}

/** CPU of the PostgreSQL processes serving one database, over a window. */
export class PgCpuProbe {
  #before = new Map<number, number>()
  readonly #sampler = new ParallelWorkerSampler()

  constructor(
    private readonly admin: pg.Client,
    private readonly database: string,
  ) {}

  async start(): Promise<void> {
    const { rows } = await this.admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    this.#sampler.start(parentPid(rows[0]!.pid)!)
    await this.#sampler.ready
    this.#before = await backendCpu(this.admin, this.database)
  }

  async stop(): Promise<PgCpu> {
    const after = await backendCpu(this.admin, this.database)
    const parallel = await this.#sampler.stop([...this.#before.keys(), ...after.keys()])
    const backends = backendCpuDelta(this.#before, after)
    return { ms: backends.ms + parallel.ms, parallelMs: parallel.ms, parallelWorkers: parallel.workers, lost: backends.lost }
  }
}

/** CPU ms all processes spent (every core), from the first line of /proc/stat. */
export function machineBusyMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal …: busy = all but idle and iowait.
    const busy = fields.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0)
    return (busy * 1000) / CLK_TCK
  } catch {
    return undefined
  }
}
