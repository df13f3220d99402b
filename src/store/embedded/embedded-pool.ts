// Opens the embedded (PGlite) database in a data directory. Only one process may open a
// PGlite directory, so the first one takes a lock file and owns it; a serving owner also
// listens on a Unix socket, and later processes (the CLI while the server runs) become its
// remote clients. A non-serving owner (a CLI command) is waited for instead.
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Pool } from '../drivers/pool.js'
import { PglitePool } from '../drivers/pglite-pool.js'
import { RemotePool, serveRemoteSessions, type RemoteSessionServer } from '../drivers/pglite-remote.js'
import { isOldUnreadable, isStale, ownLock, readLock, rewriteLock, tryCreateLock } from './lock-file.js'
import { socketPathFor } from './socket-path.js'

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
  /**
   * TICKETS_STATEMENT_TIMEOUT_MS. PGlite ignores statement_timeout, so an owner applies it to
   * the wait for its session lock instead (see PglitePool): a request queued behind a long
   * import fails with 503 store-unavailable rather than waiting forever.
   */
  statementTimeoutMs?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function openEmbeddedPool(dataDirInput: string, options: EmbeddedOptions): Promise<EmbeddedPool> {
  const dataDir = resolve(dataDirInput)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const lockPath = join(dataDir, 'tickets.lock')
  const deadline = Date.now() + (options.waitTimeoutMs ?? 120_000)
  let warned = false
  for (;;) {
    if (tryCreateLock(lockPath, ownLock(options.role))) return openAsOwner(dataDir, lockPath, options)
    const read = readLock(lockPath)
    // A lock left by a process that died (kill -9, a crashed container) is taken over, with
    // its socket file: the directory must open again without manual repair.
    if ((read === 'unreadable' && isOldUnreadable(lockPath)) || (read !== undefined && read !== 'unreadable' && isStale(read))) {
      rmSync(lockPath, { force: true })
      if (read !== 'unreadable' && read.socket) rmSync(read.socket, { force: true })
      continue
    }
    const lock = read === 'unreadable' ? undefined : read
    if (lock?.socket) {
      const pool = new RemotePool(lock.socket, lock.secret ?? '')
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
  let socketPath = ''
  const release = () => {
    rmSync(lockPath, { force: true })
    if (server) rmSync(socketPath, { force: true })
  }
  try {
    if (options.serve) socketPath = socketPathFor(dataDir)
    pool = await PglitePool.open(join(dataDir, 'pgdata'), { lockTimeoutMs: options.statementTimeoutMs ?? 0 })
    if (options.serve) {
      // Published only through the lock file (0600): whoever can read it may use the store.
      const secret = randomBytes(32).toString('base64url')
      rmSync(socketPath, { force: true })
      server = await serveRemoteSessions(pool, socketPath, secret)
      rewriteLock(lockPath, ownLock(options.role, { socket: socketPath, secret }))
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
