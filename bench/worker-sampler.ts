// Worker thread of ParallelWorkerSampler (procstat.ts). Parallel workers live for a few
// milliseconds, too briefly to sample, but when one exits the postmaster reaps it and its CPU
// is added to the postmaster's cutime+cstime. So this thread reads that sum at the start and
// the end of the window, and in between keeps track of every other child of the postmaster
// (by process title), so that the CPU of children which are not the bench's parallel workers
// (other databases' sessions, autovacuum, the bench's own backends) can be taken out again.
// It scans /proc for new children every SCAN_MS and reads their CPU every POLL_SCANS scans,
// off the busy main thread, until the main thread sets the stop flag.
import { readdirSync, readFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

const SCAN_MS = 10
const POLL_SCANS = 3
const WORKER_TITLE = /parallel worker for PID (\d+)/

export interface SamplerInput {
  flag: Int32Array
  clkTck: number
  postmaster: number
}

export interface ExitedChild {
  /** worker: titled parallel worker (with its leader); other: any other titled process; unknown: seen only untitled or as a zombie. */
  kind: 'worker' | 'other' | 'unknown'
  leader?: number
  /** Alive when the window started: its CPU before the window is in the postmaster's sum too. */
  preexisting: boolean
  cpu: number
}

export interface SamplerOutput {
  postmasterChildrenMs: number
  exited: ExitedChild[]
}

const { flag, clkTck, postmaster } = workerData as SamplerInput

function stat(pid: number): { ppid: number; zombie: boolean; cpu: number; childrenCpu: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
    const ms = (a: string | undefined, b: string | undefined) => ((Number(a) + Number(b)) * 1000) / clkTck
    return { ppid: Number(f[1]), zombie: f[0] === 'Z', cpu: ms(f[11], f[12]), childrenCpu: ms(f[13], f[14]) }
  } catch {
    return undefined
  }
}

interface Child {
  kind: ExitedChild['kind'] | 'pending'
  leader?: number
  preexisting: boolean
  cpu: number
}

const children = new Map<number, Child>()
const ignored = new Set<number>()
const exited: ExitedChild[] = []

function classify(pid: number, child: Child): void {
  let title = ''
  try {
    title = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    // exited
  }
  // Just forked children still carry the postmaster's command line; zombies have none.
  if (title === '' || title.includes('bin/postgres')) return
  const worker = WORKER_TITLE.exec(title)
  child.kind = worker ? 'worker' : 'other'
  if (worker) child.leader = Number(worker[1])
}

function finish(pid: number, child: Child): void {
  children.delete(pid)
  const kind = child.kind === 'pending' ? 'unknown' : child.kind
  exited.push({ kind, preexisting: child.preexisting, cpu: child.cpu, ...(child.leader !== undefined ? { leader: child.leader } : {}) })
}

function scan(preexisting: boolean): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (ignored.has(pid) || children.has(pid)) continue
    const s = stat(pid)
    if (!s || s.ppid !== postmaster) {
      ignored.add(pid)
      continue
    }
    const child: Child = { kind: 'pending', preexisting, cpu: s.cpu }
    children.set(pid, child)
    classify(pid, child)
    if (s.zombie) finish(pid, child)
  }
}

function poll(): void {
  for (const [pid, child] of children) {
    if (child.kind === 'pending') classify(pid, child)
    const s = stat(pid)
    if (!s || s.ppid !== postmaster) finish(pid, child)
    else {
      child.cpu = s.cpu
      if (s.zombie) finish(pid, child)
    }
  }
}

const startChildrenCpu = stat(postmaster)?.childrenCpu ?? 0
scan(true)
parentPort!.postMessage('ready')
for (let i = 1; Atomics.load(flag, 0) === 0; i++) {
  Atomics.wait(flag, 0, 0, SCAN_MS)
  scan(false)
  if (i % POLL_SCANS === 0) poll()
}
scan(false)
poll()
const output: SamplerOutput = { postmasterChildrenMs: (stat(postmaster)?.childrenCpu ?? 0) - startChildrenCpu, exited }
parentPort!.postMessage(output)
