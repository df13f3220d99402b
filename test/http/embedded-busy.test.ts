// The embedded store held by another process's session (a long `tickets import` from the CLI):
// requests do not queue forever behind it. PGlite ignores statement_timeout, so
// TICKETS_STATEMENT_TIMEOUT_MS bounds the wait for the session: 503 store-unavailable with
// Retry-After, and the store serves again once the session ends.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { RemotePool } from '../../src/store/drivers/pglite-remote.js'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { createTestApp } from '../support/api.js'

describe('a request while another process holds the embedded store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickets-busy-'))
  let store: Store
  let app: FastifyInstance

  beforeAll(async () => {
    cpSync(inject('pgliteTemplate'), dataDir, { recursive: true })
    store = await openStore({ dataDir, serveEmbedded: true, role: 'server', cacheClients: true, statementTimeoutMs: 200 })
    app = await createTestApp(store)
  })

  afterAll(async () => {
    await app?.close()
    await store?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers 503 store-unavailable with Retry-After instead of waiting, and recovers when it ends', async () => {
    const lock = JSON.parse(readFileSync(join(dataDir, 'tickets.lock'), 'utf8')) as { socket: string; secret: string }
    const session = await new RemotePool(lock.socket, lock.secret).connect()
    await session.query('BEGIN', [])
    try {
      const busy = await app.inject({ method: 'GET', url: '/readyz' })
      expect(busy.statusCode).toBe(503)
      expect(busy.headers['retry-after']).toBe('5')
      expect(JSON.parse(busy.body)).toMatchObject({ code: 'store-unavailable' })
    } finally {
      await session.query('ROLLBACK', [])
      session.release()
    }
    // The session's end (restore, unlock) is asynchronous: ask until the store answers again.
    let ready = await app.inject({ method: 'GET', url: '/readyz' })
    while (ready.statusCode === 503) ready = await app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(200)
  })
})
