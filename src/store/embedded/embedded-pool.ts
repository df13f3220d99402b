// Opens the embedded (PGlite) database in a data directory. Only one process may open a
// PGlite directory, so the first one takes a lock file and owns it; a serving owner also
// listens on a Unix socket, and later processes (the CLI while the server runs) become its
// remote clients. A non-serving owner (a CLI command) is waited for instead.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync, openSync, closeSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Pool } from '../drivers/pool.js'
import { openPglite, PglitePool } from '../drivers/pglite-pool.js'
import { RemotePool, serveRemoteSessions, type RemoteSessionServer } from '../drivers/pglite-remote.js'

export interface EmbeddedPool {
  pool: Pool
  /** `owner` opened PGlite in this process; `remote` talks to the owner's socket. */
  mode: 'owner' | 'remote'
  close(): Promise<void>
}

export interface EmbeddedOptions {
  /** Serve other processes (the server does; one-shot CLI commands do not). */
  serve: boolean
  /** Who is asking, recorded in the lock so that waiters can say what they wait for. */
  role: string
  /** Called once when another process holds the directory and we have to wait. */
  onWait?: (message: string) => void
  waitTimeoutMs?: number
}

interface LockContent {
  pid: number
  role: string
  socket?: string
}

// Unix socket paths are limited to about 107 bytes; long data directories get one in tmp.
function socketPathFor(dataDir: string): string {
  const local = join(dataDir, 'tickets.sock')
  if (Buffer.byteLength(local) < 100) return local
  return join(tmpdir(), `tickets-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}.sock`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readLock(path: string): LockContent | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockContent
  } catch {
    return undefined
  }
}

function tryCreateLock(path: string, content: LockContent): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600)
    writeSync(fd, JSON.stringify(content))
    closeSync(fd)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function openEmbeddedPool(dataDirInput: string, options: EmbeddedOptions): Promise<EmbeddedPool> {
  const dataDir = resolve(dataDirInput)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const lockPath = join(dataDir, 'tickets.lock')
  const deadline = Date.now() + (options.waitTimeoutMs ?? 120_000)
  let warned = false
  for (;;) {
    if (tryCreateLock(lockPath, { pid: process.pid, role: options.role })) return openAsOwner(dataDir, lockPath, options)
    const lock = readLock(lockPath)
    if (lock && !isAlive(lock.pid)) {
      rmSync(lockPath, { force: true })
      if (lock.socket) rmSync(lock.socket, { force: true })
      continue
    }
    if (lock?.socket) {
      const pool = new RemotePool(lock.socket)
      try {
        ;(await pool.connect()).release()
        return { pool, mode: 'remote', close: () => pool.end() }
      } catch {
        // The owner is starting or stopping: fall through and retry shortly.
      }
    }
    if (Date.now() > deadline)
      throw new Error(`the data directory ${dataDir} is held by process ${lock?.pid ?? '?'} (${lock?.role ?? 'unknown'})`)
    if (!warned && lock && lock.role !== 'server') {
      warned = true
      options.onWait?.(`waiting for process ${lock.pid} (${lock.role}) to release ${dataDir}`)
    }
    await sleep(100)
  }
}

async function openAsOwner(dataDir: string, lockPath: string, options: EmbeddedOptions): Promise<EmbeddedPool> {
  let pool: PglitePool | undefined
  let server: RemoteSessionServer | undefined
  const socketPath = socketPathFor(dataDir)
  const release = () => {
    rmSync(lockPath, { force: true })
    if (server) rmSync(socketPath, { force: true })
  }
  try {
    pool = new PglitePool(await openPglite(join(dataDir, 'pgdata')))
    if (options.serve) {
      rmSync(socketPath, { force: true })
      server = await serveRemoteSessions(pool, socketPath)
      writeFileSync(lockPath, JSON.stringify({ pid: process.pid, role: options.role, socket: socketPath }))
    }
  } catch (error) {
    await pool?.end().catch(() => undefined)
    release()
    throw error
  }
  const owned = pool
  return {
    pool: owned,
    mode: 'owner',
    async close() {
      await server?.close()
      await owned.end()
      release()
    },
  }
}
