// Per-client concurrency: a partner's requests beyond its limit wait their turn, the queue is
// bounded (429 past it), and other partners are served meanwhile.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { AppStore } from '../../src/http/app-store.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { openTestStore, type TestStore } from '../support/stores.js'

const LIST = '/v2/tickets/tickets?limit=1'

let opened: TestStore
let app: FastifyInstance
let gate: { open: () => void; promise: Promise<void> } | undefined
let started = 0

/** The store, except that list pages wait for the test to open the gate. */
function gatedStore(store: AppStore): AppStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'listTicketsJson')
        return async (...args: Parameters<AppStore['listTicketsJson']>) => {
          started++
          await gate?.promise
          return target.listTicketsJson(...args)
        }
      const value = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  expect(condition()).toBe(true)
}

beforeAll(async () => {
  opened = await openTestStore('embedded')
  app = await createTestApp(gatedStore(opened.store), { clientConcurrency: 2 })
})
afterAll(async () => {
  await app.close()
  await opened.dispose()
})

it('runs at most the limit at once per client, queues the rest in order, and refuses past the queue', async () => {
  let open!: () => void
  gate = { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() }
  started = 0
  const busy = await tokenFor(app, opened.store, PROVIDER_A, ['tickets:read'])
  const other = await tokenFor(app, opened.store, PROVIDER_B, ['tickets:read'])

  // 2 running + 32 waiting fit; the other 6 are refused at once.
  const answered: Array<{ statusCode: number; headers: Record<string, unknown>; json(): unknown }> = []
  const inFlight = Array.from({ length: 40 }, () =>
    app.inject({ method: 'GET', url: LIST, headers: bearer(busy) }).then((response) => {
      answered.push(response)
      return response
    }),
  )
  await until(() => answered.length === 6)
  expect(answered.map((r) => r.statusCode)).toEqual(Array(6).fill(429))
  expect(answered[0]!.headers['retry-after']).toBe('1')
  expect(answered[0]!.json()).toMatchObject({ code: 'rate-limited' })
  expect(started).toBe(2)

  // Another partner is not queued behind the busy one.
  const otherResponse = app.inject({ method: 'GET', url: LIST, headers: bearer(other) })
  await until(() => started === 3)

  gate.open()
  const statuses = (await Promise.all(inFlight)).map((r) => r.statusCode)
  expect(statuses.filter((status) => status === 200)).toHaveLength(34)
  expect((await otherResponse).statusCode).toBe(200)
  expect(started).toBe(35)
})

it('gives the slot back when the caller goes away before its answer', async () => {
  gate = undefined
  const token = await tokenFor(app, opened.store, PROVIDER_A, ['tickets:read'])
  // Many sequential requests: a leaked slot would stall the third one forever.
  for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: LIST, headers: bearer(token) })).statusCode).toBe(200)
  const failing = await app.inject({ method: 'GET', url: '/v2/tickets/tickets?limit=9999', headers: bearer(token) })
  expect(failing.statusCode).toBe(400)
  for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: LIST, headers: bearer(token) })).statusCode).toBe(200)
})

it('gives the slot back when a caller hangs up while waiting for it', async () => {
  const server = await createTestApp(gatedStore(opened.store), { clientConcurrency: 1 })
  try {
    await server.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`
    const token = await tokenFor(server, opened.store, PROVIDER_A, ['tickets:read'])
    let open!: () => void
    gate = { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() }
    started = 0
    const holder = fetch(`${base}${LIST}`, { headers: bearer(token) })
    await until(() => started === 1)
    // The second caller queues behind the first, then gives up.
    const leaving = new AbortController()
    const left = fetch(`${base}${LIST}`, { headers: bearer(token), signal: leaving.signal }).catch(() => 'aborted')
    await new Promise((resolve) => setTimeout(resolve, 200))
    leaving.abort()
    expect(await left).toBe('aborted')
    await new Promise((resolve) => setTimeout(resolve, 100))
    gate.open()
    expect((await holder).status).toBe(200)
    // With the slot leaked this request would wait forever.
    const after = await fetch(`${base}${LIST}`, { headers: bearer(token), signal: AbortSignal.timeout(10_000) })
    expect(after.status).toBe(200)
  } finally {
    gate = undefined
    await server.close()
  }
})
