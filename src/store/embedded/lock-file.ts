// tickets.lock: which process owns a data directory and, when it serves, how to reach it (the
// socket and the session secret; hence mode 0600). Written atomically (a complete file is
// linked or renamed into place), so a reader never sees half a lock and a crash never leaves
// one. A lock is stale when its process is gone, and also when its pid now names another
// process: a restarted container often gets the very pid of the crashed one, and pids wrap.
import { randomUUID } from 'node:crypto'
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'

export interface LockContent {
  pid: number
  role: string
  /** This process's lifetime: tells us from a previous process that had our pid. */
  instance?: string
  /** The process's start time (/proc/<pid>/stat field 22, clock ticks since boot), on Linux. */
  started?: string
  /** /proc/sys/kernel/random/boot_id: start times only compare within one boot. */
  boot?: string
  socket?: string
  /** What a remote session must present first (see pglite-remote.ts). */
  secret?: string
}

const INSTANCE = randomUUID()
/** A lock file that cannot be parsed for this long was not written by us (we write atomically). */
const UNREADABLE_STALE_MS = 10_000

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** A process's start time, or undefined off Linux (or when /proc does not show it). */
export function processStartTime(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`)
  if (!stat) return undefined
  // Field 2 (the command) may contain spaces and parentheses; the fields after the last ')'
  // start at field 3, so field 22 is the 20th of them.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

const bootId = () => readText('/proc/sys/kernel/random/boot_id')?.trim()

/** The lock content for this process. */
export function ownLock(role: string, extra: Pick<LockContent, 'socket' | 'secret'> = {}): LockContent {
  const started = processStartTime(process.pid)
  const boot = bootId()
  return { pid: process.pid, role, instance: INSTANCE, ...(started ? { started } : {}), ...(boot ? { boot } : {}), ...extra }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function isStale(lock: LockContent): boolean {
  if (lock.pid === process.pid) return lock.instance !== INSTANCE
  const boot = bootId()
  if (lock.boot && boot && lock.boot !== boot) return true
  if (!isAlive(lock.pid)) return true
  const started = lock.started ? processStartTime(lock.pid) : undefined
  return started !== undefined && started !== lock.started
}

/** The lock as written, `undefined` if there is none, `'unreadable'` if it is not a lock we wrote. */
export function readLock(path: string): LockContent | 'unreadable' | undefined {
  const text = readText(path)
  if (text === undefined) return undefined
  try {
    const lock = JSON.parse(text) as LockContent
    if (typeof lock.pid === 'number' && typeof lock.role === 'string') return lock
  } catch {
    // fall through
  }
  return 'unreadable'
}

/** An unreadable lock file that is not brand new is garbage (ours are written atomically). */
export function isOldUnreadable(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > UNREADABLE_STALE_MS
  } catch {
    return false
  }
}

function writeTemporary(path: string, content: LockContent): string {
  const temporary = `${path}.${process.pid}.${INSTANCE}.tmp`
  writeFileSync(temporary, JSON.stringify(content), { mode: 0o600 })
  return temporary
}

/** Creates the lock if there is none: true if it is now ours. */
export function tryCreateLock(path: string, content: LockContent): boolean {
  const temporary = writeTemporary(path, content)
  try {
    linkSync(temporary, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    // Some mounted filesystems have no hard links: create in place (a reader may then briefly
    // see an empty file, which it retries).
    return createInPlace(path, content)
  } finally {
    rmSync(temporary, { force: true })
  }
}

function createInPlace(path: string, content: LockContent): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, JSON.stringify(content))
  } finally {
    closeSync(fd)
  }
  return true
}

/** Replaces our own lock's content. */
export function rewriteLock(path: string, content: LockContent): void {
  renameSync(writeTemporary(path, content), path)
}
