// The embedded store's session protocol (the Unix socket the server serves the CLI on) under
// hostile and unlucky clients: no secret, garbage, huge frames, settings left behind, a client
// interrupted while it waits for the lock, and a request queued behind a long session.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createConnection, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fromDatabaseError } from '../../src/errors/db-errors.js'
import { PglitePool, StoreBusyError } from '../../src/store/drivers/pglite-pool.js'
import { RemotePool, serveRemoteSessions, type RemoteSessionServer } from '../../src/store/drivers/pglite-remote.js'
import { Mutex, type PoolClient } from '../../src/store/drivers/pool.js'
import { FrameTooLargeError, MAX_AUTH_FRAME_BYTES, MAX_FRAME_BYTES } from '../../src/store/drivers/remote-frames.js'

const SECRET = 'a-test-session-secret'

/** A raw connection that collects what the server sends and resolves `closed` when it hangs up. */
function rawClient(path: string) {
  const socket = createConnection(path)
  let received = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk))
  socket.on('error', () => undefined)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const frames = () =>
    received
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  const waitFor = async (predicate: (frames: Array<Record<string, unknown>>) => boolean) => {
    while (!predicate(frames())) await new Promise((r) => setTimeout(r, 10))
  }
  const send = (frame: unknown) => socket.write(`${JSON.stringify(frame)}\n`)
  return { socket, closed, frames, waitFor, send }
}

async function query(client: PoolClient, sql: string) {
  return (await client.query(sql, [])).rows
}

describe('the embedded store session protocol', () => {
  let dir: string
  let socketPath: string
  let pool: PglitePool
  let server: RemoteSessionServer
  const notifications: string[] = []
  let subscribedCount = 0

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickets-remote-'))
    socketPath = join(dir, 'tickets.sock')
    pool = await PglitePool.open(undefined)
    await pool.listen('server_channel', {
      onNotify: (payload) => notifications.push(payload),
      onSubscribed: () => subscribedCount++,
      onLost: () => undefined,
    })
    const umask = process.umask(0o000)
    try {
      server = await serveRemoteSessions(pool, socketPath, SECRET)
    } finally {
      process.umask(umask)
    }
  })

  afterAll(async () => {
    await server?.close()
    await pool?.end()
    rmSync(dir, { recursive: true, force: true })
  })

  // Every test leaves the store usable: the lock is free again (bounded by the test timeout).
  afterEach(async () => {
    ;(await pool.connect()).release()
  })

  describe('authentication', () => {
    it('makes the socket reachable by its owner only, even under umask 000', () => {
      expect(statSync(socketPath).mode & 0o777).toBe(0o600)
    })

    it('disconnects a client that sends a query instead of the secret, without running it', async () => {
      const raw = rawClient(socketPath)
      raw.send({ sql: 'CREATE TABLE intruder (x int)', parameters: [] })
      await raw.closed
      expect(raw.frames()).toEqual([{ error: { message: 'authentication failed', code: '28P01' } }])
      const client = await pool.connect()
      try {
        expect(await query(client, "SELECT to_regclass('intruder') AS t")).toEqual([{ t: null }])
      } finally {
        client.release()
      }
    })

    it('refuses a client with the wrong secret', async () => {
      await expect(new RemotePool(socketPath, 'wrong').connect()).rejects.toMatchObject({ code: '28P01' })
    })

    it('serves a client with the secret', async () => {
      const client = await new RemotePool(socketPath, SECRET).connect()
      try {
        expect(await query(client, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
      } finally {
        client.release()
      }
    })
  })

  describe('malformed and oversized frames', () => {
    it('ends only the session that sent a frame that is not JSON, with an error frame', async () => {
      const raw = rawClient(socketPath)
      raw.send({ auth: SECRET })
      await raw.waitFor((frames) => frames.some((f) => f.ready === true))
      raw.socket.write('{not json\n')
      await raw.closed
      expect(raw.frames().at(-1)).toEqual({ error: { message: 'a frame is not valid JSON', code: '08P01' } })
      const client = await new RemotePool(socketPath, SECRET).connect()
      try {
        expect(await query(client, 'SELECT 2 AS two')).toEqual([{ two: 2 }])
      } finally {
        client.release()
      }
    })

    it('ends a session whose first frame is garbage', async () => {
      const raw = rawClient(socketPath)
      raw.socket.write('{not json\n')
      await raw.closed
      expect(raw.frames()).toEqual([{ error: { message: 'a frame is not valid JSON', code: '08P01' } }])
    })

    it('cuts an unauthenticated client that sends more than a small frame', async () => {
      const raw = rawClient(socketPath)
      raw.socket.write('x'.repeat(MAX_AUTH_FRAME_BYTES + 1))
      await raw.closed
      expect(raw.frames()[0]).toMatchObject({ error: { code: '08P01' } })
    })

    it('cuts an authenticated session whose frame exceeds the limit', async () => {
      const raw = rawClient(socketPath)
      raw.send({ auth: SECRET })
      await raw.waitFor((frames) => frames.some((f) => f.ready === true))
      raw.socket.write(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x61))
      await raw.closed
      expect(raw.frames().at(-1)).toEqual({ error: { message: `a frame exceeded ${MAX_FRAME_BYTES} bytes`, code: '08P01' } })
    })

    it('refuses on the client side to send a statement larger than the limit', async () => {
      const client = await new RemotePool(socketPath, SECRET).connect()
      try {
        await expect(client.query('SELECT $1::text AS t', ['x'.repeat(MAX_FRAME_BYTES)])).rejects.toBeInstanceOf(FrameTooLargeError)
        expect(await query(client, 'SELECT 3 AS three')).toEqual([{ three: 3 }])
      } finally {
        client.release()
      }
    })

    it('rejects the session, not the process, when the server sends a frame that is not JSON', async () => {
      const fakePath = join(dir, 'fake.sock')
      const fake = createServer((socket: Socket) => socket.resume().end('{not json\n'))
      await new Promise<void>((resolve) => fake.listen(fakePath, resolve))
      try {
        await expect(new RemotePool(fakePath, SECRET).connect()).rejects.toMatchObject({ code: '08P01' })
      } finally {
        await new Promise((resolve) => fake.close(resolve))
      }
    })
  })

  describe('when a remote session ends', () => {
    it('restores the shared session: transaction, settings, role, temporary tables and LISTENs', async () => {
      const SESSION =
        "SELECT current_user AS role, current_setting('statement_timeout') AS timeout, " +
        "current_setting('search_path') AS path, current_setting('TimeZone') AS zone, to_regclass('leftover') AS leftover"
      const before = await pool.connect()
      const baseline = await query(before, SESSION).finally(() => before.release())
      expect(baseline).toEqual([{ role: pool.sessionUser, timeout: '0', path: expect.any(String), zone: 'UTC', leftover: null }])
      const remote = await new RemotePool(socketPath, SECRET).connect()
      await query(remote, 'CREATE ROLE tickets_test_intruder')
      for (const statement of [
        'SET statement_timeout = 1234',
        'SET search_path = pg_catalog',
        "SET TimeZone = 'Europe/Paris'",
        'SET ROLE tickets_test_intruder',
        'LISTEN intruder_channel',
        'UNLISTEN server_channel',
        'BEGIN',
        'CREATE TEMPORARY TABLE leftover (x int)',
      ])
        await query(remote, statement)
      const subscribedBefore = subscribedCount
      remote.release()

      const local = await pool.connect()
      try {
        expect(pool.db.isInTransaction()).toBe(false)
        expect(await query(local, SESSION)).toEqual(baseline)
        expect(await query(local, 'SELECT pg_listening_channels() AS channel')).toEqual([{ channel: 'server_channel' }])
        // The subscription was down for a while: the client cache must assume it missed something.
        expect(subscribedCount).toBe(subscribedBefore + 1)
        await query(local, "NOTIFY server_channel, 'still subscribed'")
        await query(local, 'SELECT 1')
      } finally {
        local.release()
      }
      expect(notifications).toContain('still subscribed')
    })
  })

  describe('a client interrupted while it waits for the lock', () => {
    it('does not keep the lock once it is its turn (Ctrl-C on a CLI queued behind an import)', async () => {
      const busy = await pool.connect()
      const raw = rawClient(socketPath)
      raw.send({ auth: SECRET })
      // Wait until the session has authenticated and queued for the lock.
      while (pool.mutex.waiting === 0) await new Promise((r) => setTimeout(r, 10))
      raw.socket.destroy()
      await raw.closed
      busy.release()
      // Before the fix this waited forever: the vanished session got the lock and never released it.
      const next = await pool.connect()
      try {
        expect(await query(next, 'SELECT 4 AS four')).toEqual([{ four: 4 }])
      } finally {
        next.release()
      }
      expect(raw.frames()).toEqual([])
    })
  })
})

describe('Mutex', () => {
  it('passes the lock on when a waiter gives up', async () => {
    const mutex = new Mutex()
    const first = await mutex.lock()
    const controller = new AbortController()
    const abandoned = mutex.lock(controller.signal)
    const third = mutex.lock()
    controller.abort(new Error('gave up'))
    await expect(abandoned).rejects.toThrow('gave up')
    first()
    ;(await third)()
  })
})

describe('the embedded pool lock timeout (TICKETS_STATEMENT_TIMEOUT_MS)', () => {
  it('fails a caller queued behind a long session with 503 store-unavailable, and keeps the lock usable', async () => {
    const pool = await PglitePool.open(undefined, { lockTimeoutMs: 50 })
    try {
      const busy = await pool.connect()
      const error = await pool.connect().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(StoreBusyError)
      const problem = fromDatabaseError(error)
      expect(problem).toMatchObject({ slug: 'store-unavailable' })
      expect(problem?.extras.headers).toMatchObject({ 'retry-after': '5' })
      busy.release()
      ;(await pool.connect()).release()
    } finally {
      await pool.end()
    }
  })
})
