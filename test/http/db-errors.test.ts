// Database failures the request parsers cannot prevent, as the client and the log see them:
// server resource/system trouble is a 503 with Retry-After (logged as an error); a data exception
// (SQLSTATE class 22) is a 400 safety net, logged at warn so the parser that let it through is fixed.
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { fromDatabaseError } from '../../src/errors/db-errors.js'
import type { AppStore } from '../../src/http/app-store.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { openTestStore, type TestStore } from '../support/stores.js'

const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code })

describe('fromDatabaseError', () => {
  it.each([
    ['53100', 'disk full'],
    ['53200', 'out of memory'],
    ['58000', 'system error'],
    ['58030', 'I/O error'],
    ['58P01', 'undefined file'],
    ['55P03', 'lock not available'],
    ['40P01', 'deadlock detected (after the ledger’s retries)'],
    ['40001', 'serialization failure (after the ledger’s retries)'],
  ])('maps SQLSTATE %s (%s) to 503 store-unavailable with Retry-After', (code) => {
    const error = fromDatabaseError(pgError(code))
    expect(error?.slug).toBe('store-unavailable')
    expect(error?.status).toBe(503)
    expect(error?.extras.headers?.['retry-after']).toMatch(/^\d+$/)
  })

  it('maps the driver’s client-side query timeout to 503 store-unavailable with Retry-After', () => {
    const error = fromDatabaseError(new Error('Query read timeout'))
    expect([error?.slug, error?.status, error?.extras.headers?.['retry-after']]).toEqual(['store-unavailable', 503, '5'])
  })

  it('maps a query on an already broken connection (Kysely’s ROLLBACK after the failure) to 503 store-unavailable', () => {
    expect(fromDatabaseError(new Error('Client has encountered a connection error and is not queryable'))?.slug).toBe('store-unavailable')
  })

  it.each(['22003', '22007', '22008', '22P02', '22021', '22000'])('maps the data exception %s to a 400 invalid-value', (code) => {
    const error = fromDatabaseError(pgError(code))
    expect([error?.slug, error?.status]).toEqual(['invalid-value', 400])
  })

  it('leaves a bug a bug (a constraint violation, a syntax error)', () => {
    expect(fromDatabaseError(pgError('23505'))).toBeUndefined()
    expect(fromDatabaseError(pgError('42601'))).toBeUndefined()
  })
})

describe('database failures over HTTP', () => {
  let base: TestStore
  let app: FastifyInstance
  let token: string
  let failure: Error | undefined
  const logs: Array<{ level: number; msg: string }> = []

  beforeAll(async () => {
    base = await openTestStore('embedded')
    // The real store, except that listing fails with the error under test.
    const store = new Proxy(base.store, {
      get(target, key, receiver) {
        if (key === 'listTicketsJson' && failure) return () => Promise.reject(failure)
        const value = Reflect.get(target, key, receiver) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as AppStore
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line) as { level: number; msg: string })
        done()
      },
    })
    app = await createTestApp(store, { logger: { level: 'info', stream } })
    token = await tokenFor(app, store, PROVIDER_A)
  })
  afterAll(async () => {
    await app?.close()
    await base?.dispose()
  })

  async function listFailingWith(error: Error) {
    failure = error
    logs.length = 0
    const response = await app.inject({ url: '/v2/tickets/tickets', headers: bearer(token) })
    failure = undefined
    return response
  }

  it('answers a data exception with a 400 invalid-value problem and logs it at warn', async () => {
    const response = await listFailingWith(pgError('22003', 'value "9999999999999999999" is out of range for type bigint'))
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ status: 400, code: 'invalid-value' })
    expect(response.body).not.toContain('9999999999999999999')
    expect(logs.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['the database refused a value the request parsers accepted'])
  })

  it('answers disk full and system errors with 503 store-unavailable and Retry-After, logged as errors', async () => {
    for (const code of ['53100', '58030']) {
      const response = await listFailingWith(pgError(code))
      expect(response.statusCode).toBe(503)
      expect(response.headers['retry-after']).toBe('5')
      expect(response.json()).toMatchObject({ status: 503, code: 'store-unavailable' })
      expect(logs.some((l) => l.level === 50)).toBe(true)
    }
  })
})
