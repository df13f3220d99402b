// tickets simulate: its clients made through the store (two partnered providers, reused on the
// next run), and a two-second run in-process against the app on a test store, which must end
// with no error, tickets in several states and at least one outsource.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { createTicketsClient, type TicketState } from 'tickets-api-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientsPerProvider, ensureSimulationClients, parseDuration, parseRate, type SimulationClients } from '../../src/cli/simulate.js'
import type { Config } from '../../src/config.js'
import { runSimulation, seededRandom, type SimulationReport } from '../../src/simulate/index.js'
import { createTestApp } from '../support/api.js'
import { openTestStore, type TestStore } from '../support/stores.js'

describe('tickets simulate', () => {
  let opened: TestStore
  let app: FastifyInstance
  let baseUrl: string
  let dataDir: string
  let clients: SimulationClients

  beforeAll(async () => {
    opened = await openTestStore('embedded')
    app = await createTestApp(opened.store)
    await app.listen({ port: 0, host: '127.0.0.1' })
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    dataDir = mkdtempSync(join(tmpdir(), 'tickets-simulate-'))
  })
  afterAll(async () => {
    await app?.close()
    await opened?.dispose()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('makes two tickets:manage clients of partnered providers once, and reuses them', async () => {
    const config = { dataDir, databaseUrl: undefined } as unknown as Config
    clients = await ensureSimulationClients(opened.store, config)
    expect(clients.created).toBe(true)
    expect(clients.credentials).toHaveLength(2)
    expect(new Set(clients.providers).size).toBe(2)
    expect(statSync(join(dataDir, 'simulate-credentials.json')).mode & 0o777).toBe(0o600)
    const partners = await opened.store.listPartnerships(clients.providers[0])
    expect(partners.map((p) => [p.providerId, p.partnerId].sort())).toEqual([[...clients.providers].sort()])
    const again = await ensureSimulationClients(opened.store, config)
    expect(again.created).toBe(false)
    expect(again.credentials).toEqual(clients.credentials)
    const live = (await opened.store.listClients()).filter((c) => clients.credentials.some((s) => s.clientId === c.clientId))
    expect(live.map((c) => [...c.scopes].sort())).toEqual([
      ['tickets:manage', 'tickets:read', 'tickets:write'],
      ['tickets:manage', 'tickets:read', 'tickets:write'],
    ])
  })

  it('adds clients for a rate that one client per provider could not send under the rate limit', async () => {
    expect(clientsPerProvider(20, 3000)).toBe(1)
    expect(clientsPerProvider(400, 3000)).toBe(10)
    expect(clientsPerProvider(400, 0)).toBe(1)
    const config = { dataDir, databaseUrl: undefined } as unknown as Config
    const more = await ensureSimulationClients(opened.store, config, 3)
    expect(more.created).toBe(true)
    expect(more.providers).toEqual(clients.providers)
    expect(more.credentials).toHaveLength(6)
    expect(more.credentials).toEqual(expect.arrayContaining(clients.credentials))
    expect((await ensureSimulationClients(opened.store, config, 3)).credentials).toEqual(more.credentials)
    // The run below shares each provider's operations among its three clients.
    clients = more
  })

  it('plays the platform for two seconds without an error: tickets in several states, outsourced ones among them', async () => {
    const reports: SimulationReport[] = []
    const errors: string[] = []
    const run = (seed: number) =>
      runSimulation({
        baseUrl,
        credentials: clients.credentials,
        rate: 40,
        durationMs: 2_000,
        reportEveryMs: 500,
        random: seededRandom(seed),
        onReport: (report) => reports.push(report),
        onError: (line) => errors.push(line),
      })
    const result = await run(4711)
    // A slow, shared machine gets through fewer operations: one more round to see an outsource.
    const outsources = result.byAction.outsource + (result.byAction.outsource === 0 ? (await run(4712)).byAction.outsource : 0)
    expect(errors).toEqual([])
    expect(result.errors).toBe(0)
    expect(result.ops).toBeGreaterThan(10)
    expect(result.byAction.create).toBeGreaterThan(5)
    expect(result.byAction.join).toBeGreaterThan(0)
    expect(outsources).toBeGreaterThan(0)
    expect(reports.length).toBeGreaterThanOrEqual(2)
    expect(reports.every((report) => report.errors === 0)).toBe(true)

    const states = new Map<TicketState, number>()
    let outsourced = 0
    for (const credentials of clients.credentials) {
      const client = createTicketsClient({ baseUrl, ...credentials })
      for await (const ticket of client.tickets.iterate({}, { pageSize: 500 })) {
        states.set(ticket.state, (states.get(ticket.state) ?? 0) + 1)
        if (ticket.outsourced) outsourced++
      }
    }
    expect([...states.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(result.byAction.create)
    expect(states.size).toBeGreaterThanOrEqual(3)
    expect(outsourced).toBeGreaterThan(0)
  })

  it('reads --rate and --duration as people write them', () => {
    expect(parseRate('20')).toBe(20)
    expect(parseRate('2.5/s')).toBe(2.5)
    expect(() => parseRate('fast')).toThrow('--rate')
    expect(() => parseRate('0')).toThrow('--rate')
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('45')).toBe(45_000)
    expect(() => parseDuration('soon')).toThrow('--duration')
  })
})
