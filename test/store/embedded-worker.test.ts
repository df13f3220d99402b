// The embedded store's database runs in a thread of its own (src/store/drivers/pglite-thread.ts):
// the server keeps answering while a long statement runs, rows and errors cross the thread
// unchanged, and a thread that dies fails requests with 503 instead of leaving them waiting.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { fromDatabaseError } from '../../src/errors/db-errors.js'
import { PglitePool } from '../../src/store/drivers/pglite-pool.js'
import { RemotePool, serveRemoteSessions, type RemoteSessionServer } from '../../src/store/drivers/pglite-remote.js'
import type { PoolClient } from '../../src/store/drivers/pool.js'
import { createDb } from '../../src/store/database.js'
import { openEmbeddedPool } from '../../src/store/embedded/embedded-pool.js'
import { openStore } from '../../src/store/open-store.js'
import { createSqlStore } from '../../src/store/sql-store.js'
import type { Store } from '../../src/store/store.js'
import { createTestApp } from '../support/api.js'

// Long enough in WebAssembly (about a second) to outlast any number of /healthz requests.
const LONG_STATEMENT = sql<{ n: string }>`SELECT count(*) AS n FROM generate_series(1, 5000000) AS g, LATERAL (SELECT md5(g::text)) AS m`

async function query(client: PoolClient, statement: string, parameters: unknown[] = []) {
  return (await client.query(statement, parameters)).rows
}

describe('the server while the embedded store runs a long statement', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickets-worker-'))
  let store: Store
  let app: FastifyInstance

  beforeAll(async () => {
    cpSync(inject('pgliteTemplate'), dataDir, { recursive: true })
    store = await openStore({ dataDir, serveEmbedded: true, role: 'server', cacheClients: true })
    app = await createTestApp(store)
  })

  afterAll(async () => {
    await app?.close()
    await store?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers /healthz, and fires timers, before the statement finishes', async () => {
    const finished: string[] = []
    const long = LONG_STATEMENT.execute(store.db).then((result) => {
      finished.push('statement')
      return result.rows
    })
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    try {
      for (let i = 0; i < 3; i++) {
        const health = await app.inject({ method: 'GET', url: '/healthz' })
        expect(health.statusCode).toBe(200)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
      finished.push(`healthz, timers ${ticks > 0 ? 'ran' : 'stood still'}`)
      expect(await long).toEqual([{ n: '5000000' }])
    } finally {
      clearInterval(timer)
    }
    expect(finished).toEqual(['healthz, timers ran', 'statement'])
  })
})

describe('the database thread', () => {
  let pool: PglitePool

  beforeAll(async () => {
    pool = await PglitePool.open(undefined)
  })

  afterAll(async () => {
    await pool?.end()
  })

  it('hands back rows with the values the in-process driver gave: int8 and timestamptz as text, the rest as PGlite parses it', async () => {
    const client = await pool.connect()
    try {
      const rows = await query(
        client,
        `SELECT 9007199254740993::int8 AS big, '2024-05-01 12:34:56.123456+02'::timestamptz AS at, 42 AS int, true AS yes,
                NULL::text AS nothing, '{"a":[1,"x"]}'::jsonb AS doc, '\\x0102'::bytea AS bytes, $1::text[] AS list`,
        [['a', 'b"c']],
      )
      expect(rows).toEqual([
        {
          big: '9007199254740993',
          at: '2024-05-01 10:34:56.123456+00',
          int: 42,
          yes: true,
          nothing: null,
          doc: { a: [1, 'x'] },
          bytes: new Uint8Array([1, 2]),
          list: ['a', 'b"c'],
        },
      ])
    } finally {
      client.release()
    }
  })

  it('keeps an error’s SQLSTATE, detail and constraint, and the transaction state it left', async () => {
    const client = await pool.connect()
    try {
      await query(client, 'CREATE TEMPORARY TABLE uniq (k int CONSTRAINT uniq_k UNIQUE)')
      await query(client, 'BEGIN')
      await query(client, 'INSERT INTO uniq VALUES ($1)', [1])
      expect(pool.db.isInTransaction()).toBe(true)
      const error = await client.query('INSERT INTO uniq VALUES ($1)', [1]).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: '23505', constraint: 'uniq_k', detail: 'Key (k)=(1) already exists.' })
      await query(client, 'ROLLBACK')
      expect(pool.db.isInTransaction()).toBe(false)
      expect(await query(client, 'SELECT count(*)::int AS n FROM uniq')).toEqual([{ n: 0 }])
      await query(client, 'DROP TABLE uniq')
    } finally {
      client.release()
    }
  })

  it('refuses a parameter that cannot cross to the thread, and stays usable', async () => {
    const client = await pool.connect()
    try {
      await expect(client.query('SELECT $1::text AS t', [() => 1])).rejects.toThrow()
      expect(await query(client, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
    } finally {
      client.release()
    }
  })
})

describe('a remote session, whose statement frames the database thread parses and answers', () => {
  const SECRET = 'a-test-session-secret'
  let dir: string
  let socketPath: string
  let pool: PglitePool
  let server: RemoteSessionServer

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickets-worker-remote-'))
    socketPath = join(dir, 'tickets.sock')
    pool = await PglitePool.open(undefined)
    server = await serveRemoteSessions(pool, socketPath, SECRET)
  })

  afterAll(async () => {
    await server?.close()
    await pool?.end()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers rows and errors as a local caller gets them', async () => {
    const client = await new RemotePool(socketPath, SECRET).connect()
    try {
      await query(client, 'CREATE TEMPORARY TABLE uniq (k int CONSTRAINT uniq_k UNIQUE)')
      expect(await query(client, 'INSERT INTO uniq VALUES ($1) RETURNING k, 7::int8 AS big', [1])).toEqual([{ k: 1, big: '7' }])
      await expect(client.query('INSERT INTO uniq VALUES ($1)', [1])).rejects.toMatchObject({
        code: '23505',
        constraint: 'uniq_k',
        detail: 'Key (k)=(1) already exists.',
      })
    } finally {
      client.release()
    }
  })

  it('ends the session that sends JSON that is not a statement, without running what follows it', async () => {
    const socket = createConnection(socketPath)
    let received = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk))
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write(`${JSON.stringify({ auth: SECRET })}\n`)
    while (!received.includes('"ready"')) await new Promise((r) => setTimeout(r, 10))
    socket.write(`${JSON.stringify({ sql: 42 })}\n${JSON.stringify({ sql: 'CREATE TABLE after_violation (x int)', parameters: [] })}\n`)
    await closed
    expect(received.trim().split('\n').at(-1)).toBe(JSON.stringify({ error: { message: 'not a query frame', code: '08P01' } }))
    const client = await pool.connect()
    try {
      expect(await query(client, "SELECT to_regclass('after_violation') AS t")).toEqual([{ t: null }])
    } finally {
      client.release()
    }
  })
})

describe('closing the database thread', () => {
  it('keeps what was committed, ends the thread and fails later statements with 503', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tickets-worker-close-'))
    try {
      const first = await PglitePool.open(dataDir)
      const writer = await first.connect()
      await query(writer, 'CREATE TABLE kept (v text)')
      await query(writer, 'INSERT INTO kept VALUES ($1)', ['acknowledged'])
      writer.release()
      await first.end()
      expect(first.db.closed).toBe(true)
      const after = await first.connect()
      await expect(after.query('SELECT 1', [])).rejects.toMatchObject({ code: '08006' })
      after.release()

      const second = await PglitePool.open(dataDir)
      const reader = await second.connect()
      expect(await query(reader, 'SELECT v FROM kept')).toEqual([{ v: 'acknowledged' }])
      reader.release()
      await second.end()
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('when the database thread dies', () => {
  it('fails the statement in flight and every later one with 503 store-unavailable, and reports subscriptions lost', async () => {
    const pool = await PglitePool.open(undefined)
    const events: string[] = []
    await pool.listen('crash_channel', {
      onNotify: () => undefined,
      onSubscribed: () => events.push('subscribed'),
      onLost: () => events.push('lost'),
    })
    const client = await pool.connect()
    const inFlight = client.query('SELECT count(*) FROM generate_series(1, 50000000)', []).catch((e: unknown) => e)
    await pool.db.terminate()
    const error = await inFlight
    expect(error).toMatchObject({ code: '08006' })
    expect(fromDatabaseError(error)).toMatchObject({ slug: 'store-unavailable', extras: { headers: { 'retry-after': '5' } } })
    client.release()

    const later = await pool.connect()
    await expect(later.query('SELECT 1', [])).rejects.toMatchObject({ code: '08006' })
    later.release()
    expect(events).toEqual(['subscribed', 'lost'])
    await pool.end()
  })

  it('makes the HTTP API answer 503 problems, not hang', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tickets-worker-crash-'))
    cpSync(inject('pgliteTemplate'), dataDir, { recursive: true })
    // The store's composition (open-store.ts), with a hand on the pool to kill its thread.
    const embedded = await openEmbeddedPool(dataDir, { serve: false, role: 'server' })
    const pool = embedded.pool as PglitePool
    const store = createSqlStore('embedded', createDb(pool), { onClose: () => embedded.close(), vacuumAfterImport: true })
    const app = await createTestApp(store)
    try {
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
      await pool.db.terminate()
      const ready = await app.inject({ method: 'GET', url: '/readyz' })
      expect(ready.statusCode).toBe(503)
      expect(JSON.parse(ready.body)).toMatchObject({ status: 503, code: 'store-unavailable' })
      const token = await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=client_credentials&client_id=tc_000000000000000000000000&client_secret=x',
      })
      expect(token.statusCode).toBe(503)
      expect(token.headers['content-type']).toMatch(/^application\/problem\+json/)
    } finally {
      await app.close()
      await store.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
