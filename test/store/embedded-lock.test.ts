// tickets.lock: a lock left behind by a dead process (or by "us" in a previous life, when a
// restarted container gets the same pid) is taken over; the lock of a live owner is not; the
// secret it carries is private, and so is the socket's directory.
import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { openEmbeddedPool } from '../../src/store/embedded/embedded-pool.js'
import { isStale, ownLock, processStartTime, type LockContent } from '../../src/store/embedded/lock-file.js'
import { socketPathFor } from '../../src/store/embedded/socket-path.js'

const dirs: string[] = []
function dataDir(name = ''): string {
  const root = mkdtempSync(join(tmpdir(), 'tickets-lock-'))
  dirs.push(root)
  const dir = name ? join(root, name) : root
  mkdirSync(dir, { recursive: true })
  cpSync(inject('pgliteTemplate'), dir, { recursive: true })
  return dir
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const writeLock = (dir: string, lock: LockContent) => writeFileSync(join(dir, 'tickets.lock'), JSON.stringify(lock), { mode: 0o600 })

// A short wait: a lock wrongly judged live would make the open fail fast instead of waiting 2 minutes.
const OPEN = { serve: false, role: 'tickets test', waitTimeoutMs: 1_000 }
const onLinux = processStartTime(process.pid) !== undefined

describe('tickets.lock', () => {
  it('takes over a lock naming our own pid that this process did not take (a previous life)', async () => {
    const dir = dataDir()
    const socket = join(dir, 'tickets.sock')
    writeFileSync(socket, '')
    writeLock(dir, { pid: process.pid, role: 'server', socket })
    const embedded = await openEmbeddedPool(dir, OPEN)
    try {
      expect(embedded.mode).toBe('owner')
      expect(JSON.parse(readFileSync(join(dir, 'tickets.lock'), 'utf8'))).toMatchObject({ pid: process.pid, role: 'tickets test' })
    } finally {
      await embedded.close()
    }
  })

  it('takes over a lock whose pid is alive but belongs to a process started at another time', async () => {
    if (!onLinux) return
    const dir = dataDir()
    const parent = ownLock('server')
    writeLock(dir, { ...parent, pid: process.ppid, instance: 'another', started: '1' })
    const embedded = await openEmbeddedPool(dir, OPEN)
    await embedded.close()
    expect(embedded.mode).toBe('owner')
  })

  it('takes over a lock file that is not a lock and is not brand new', async () => {
    const dir = dataDir()
    const path = join(dir, 'tickets.lock')
    writeFileSync(path, '{"pid": 12')
    utimesSync(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
    const embedded = await openEmbeddedPool(dir, OPEN)
    await embedded.close()
    expect(embedded.mode).toBe('owner')
  })

  it('judges the lock of a live process that started when recorded live, and of one started otherwise stale', () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    try {
      const started = processStartTime(child.pid!)
      const lock: LockContent = { pid: child.pid!, role: 'server', ...(started ? { started } : {}) }
      expect(isStale(lock)).toBe(false)
      if (started) expect(isStale({ ...lock, started: String(Number(started) + 1) })).toBe(true)
    } finally {
      child.kill('SIGKILL')
    }
    expect(isStale(ownLock('server'))).toBe(false)
  })

  it('keeps the session secret in a lock file only its owner can read', async () => {
    const dir = dataDir()
    const embedded = await openEmbeddedPool(dir, { ...OPEN, serve: true })
    try {
      const path = join(dir, 'tickets.lock')
      expect(statSync(path).mode & 0o777).toBe(0o600)
      const lock = JSON.parse(readFileSync(path, 'utf8')) as LockContent
      expect(lock.secret).toMatch(/^[\w-]{40,}$/)
      expect(statSync(lock.socket!).mode & 0o777).toBe(0o600)
    } finally {
      await embedded.close()
    }
  })

  it('puts the socket of a long data directory in a private directory of the temporary directory', async () => {
    const dir = dataDir('x'.repeat(90))
    const path = socketPathFor(dir)
    expect(path.startsWith(tmpdir())).toBe(true)
    const embedded = await openEmbeddedPool(dir, { ...OPEN, serve: true })
    try {
      expect(statSync(dirname(path)).mode & 0o777).toBe(0o700)
      expect(statSync(path).mode & 0o777).toBe(0o600)
    } finally {
      await embedded.close()
    }
  })
})
