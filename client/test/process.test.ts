// processTickets against the real server: every unprocessed ticket handled once per run, marked
// only after its handler succeeded, failures left for the next run, and at-least-once when the
// run dies (or loses an answer) between handler and mark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTicketsClient, type Ticket, type TicketsClientOptions } from '../src/index.js'
import { generateTickets } from '../../src/demo/generate-tickets.js'
import { importAll } from '../../test/support/fixtures.js'
import { startLiveApi, startProxy, type LiveApi } from './support.js'

const provider = (digit: string) => `${digit.repeat(8)}-${digit.repeat(4)}-4${digit.repeat(3)}-8${digit.repeat(3)}-${digit.repeat(12)}`
const P = {
  loop: provider('1'),
  crash: provider('2'),
  lost: provider('3'),
  filter: provider('4'),
  readonly: provider('5'),
  stop: provider('6'),
}
const COUNTS = { loop: 120, crash: 30, lost: 30, filter: 40, readonly: 3, stop: 20 }

const fixtures = Object.fromEntries(
  Object.entries(P).map(([name, providerId], i) => [
    name,
    [...generateTickets({ count: COUNTS[name as keyof typeof P], seed: 40 + i, providerId, firstTicketNumber: (i + 1) * 10_000 })].map(
      (t) => ({
        ...t,
        externally_processed: false,
        external_reference: '',
      }),
    ),
  ]),
) as Record<keyof typeof P, Ticket[]>

/** What the ordering helpers read: client and fixture tickets both have it. */
type Sortable = Pick<Ticket, 'id' | 'created_at'>
const byCreated = (a: Sortable, b: Sortable) => Date.parse(a.created_at) - Date.parse(b.created_at) || (a.id < b.id ? -1 : 1)
const sortedIds = (tickets: ReadonlyArray<{ id: string }>) => tickets.map((t) => t.id).sort()

describe('client processTickets', () => {
  let api: LiveApi
  const credentials = new Map<string, { clientId: string; clientSecret: string }>()

  beforeAll(async () => {
    api = await startLiveApi((store) =>
      importAll(
        store,
        Object.entries(fixtures).flatMap(([name, tickets]) => tickets.map((ticket) => ({ providerId: P[name as keyof typeof P], ticket }))),
      ),
    )
    for (const [name, id] of Object.entries(P))
      credentials.set(name, await api.credentials(id, name === 'readonly' ? ['tickets:read'] : undefined))
  })
  afterAll(async () => {
    await api?.close()
  })

  const clientFor = (name: keyof typeof P, options: Partial<TicketsClientOptions> = {}) =>
    createTicketsClient({ baseUrl: api.baseUrl, ...credentials.get(name)!, ...options })

  async function unprocessed(name: keyof typeof P): Promise<Ticket[]> {
    const all: Ticket[] = []
    for await (const t of clientFor(name).tickets.iterate({ externally_processed: false }, { pageSize: 1000 })) all.push(t)
    return all
  }

  it('handles each ticket once, marks it with its reference after success, and leaves failures for the next run', async () => {
    const client = clientFor('loop')
    const calls = new Map<string, number>()
    const fails = (t: Ticket) => Number(t.ticket_number) % 10 === 3
    const first = await client.processTickets({
      pageSize: 15,
      concurrency: 4,
      handler: async (ticket) => {
        calls.set(ticket.id, (calls.get(ticket.id) ?? 0) + 1)
        expect(ticket.externally_processed).toBe(false)
        if (fails(ticket)) throw new Error(`cannot invoice ${ticket.ticket_number}`)
        return { external_reference: `INV-${ticket.ticket_number}` }
      },
    })
    const failing = fixtures.loop.filter(fails)
    expect(failing.length).toBe(12)
    expect({ ...first, failures: first.failures.length }).toEqual({
      seen: COUNTS.loop,
      processed: COUNTS.loop - failing.length,
      failed: failing.length,
      markFailed: 0,
      skipped: 0,
      failures: failing.length,
      completed: true,
    })
    expect(first.failures[0]).toMatchObject({ stage: 'handler', error: expect.any(Error) })
    expect(sortedIds(fixtures.loop)).toEqual([...calls.keys()].sort())
    expect([...calls.values()].every((n) => n === 1)).toBe(true)
    expect(sortedIds(await unprocessed('loop'))).toEqual(sortedIds(failing))
    const marked = fixtures.loop.find((t) => !fails(t))!
    expect(await client.tickets.get(marked.id)).toMatchObject({
      externally_processed: true,
      external_reference: `INV-${marked.ticket_number}`,
    })

    const retried: string[] = []
    const second = await client.processTickets({ pageSize: 5, handler: (ticket) => void retried.push(ticket.id) })
    expect(retried.sort()).toEqual(sortedIds(failing))
    expect(second).toMatchObject({ seen: failing.length, processed: failing.length, failed: 0 })
    expect(await client.processTickets({ handler: () => expect.fail('nothing is left') })).toMatchObject({ seen: 0, completed: true })
  })

  it('hands a ticket to the handler again when the run crashed between handler and mark', async () => {
    const victim = [...fixtures.crash].sort(byCreated)[9]!
    let crashed = false
    const crashingFetch: typeof fetch = async (input, init) => {
      if (!crashed && init?.method === 'PATCH' && String(input).endsWith(victim.id)) {
        crashed = true
        throw new Error('simulated crash before the mark was sent')
      }
      return fetch(input, init)
    }
    const handled: string[] = []
    const first = await clientFor('crash', { fetch: crashingFetch }).processTickets({
      pageSize: 8,
      handler: (t) => void handled.push(t.id),
    })
    expect(first).toMatchObject({ seen: COUNTS.crash, processed: COUNTS.crash - 1, markFailed: 1, failed: 0 })
    expect(first.failures).toEqual([{ ticketId: victim.id, stage: 'mark', error: new Error('simulated crash before the mark was sent') }])

    // After the restart: a new client, a new run.
    const second = await clientFor('crash').processTickets({ handler: (t) => void handled.push(t.id) })
    expect(second).toMatchObject({ seen: 1, processed: 1 })
    expect(handled.filter((id) => id === victim.id)).toHaveLength(2)
    expect(new Set(handled).size).toBe(COUNTS.crash)
  })

  it('neither skips nor repeats a ticket when the answer to a mark is lost but the mark applied', async () => {
    const proxy = await startProxy(api.baseUrl)
    const victim = [...fixtures.lost].sort(byCreated)[4]!
    proxy.plan = (request) =>
      request.method === 'PATCH' && request.path.endsWith(victim.id) ? { kind: 'lose-response' } : { kind: 'forward' }
    try {
      const handled: string[] = []
      const client = createTicketsClient({ baseUrl: proxy.baseUrl, ...credentials.get('lost')!, retries: 0 })
      const result = await client.processTickets({ pageSize: 10, handler: (t) => void handled.push(t.id) })
      expect(result).toMatchObject({ seen: COUNTS.lost, processed: COUNTS.lost - 1, markFailed: 1 })
      expect(handled.sort()).toEqual(sortedIds(fixtures.lost))
      expect(await unprocessed('lost')).toEqual([])
    } finally {
      await proxy.close()
    }
  })

  it('lists only unprocessed tickets matching the filter, oldest first; skip and markProcessed: false mark nothing', async () => {
    const client = clientFor('filter')
    const closed = fixtures.filter.filter((t) => t.state === 'closed').sort(byCreated)
    const seen: Ticket[] = []
    const result = await client.processTickets({
      filter: { state: 'closed' },
      pageSize: 5,
      handler: (ticket) => {
        seen.push(ticket)
        return seen.length % 3 === 0 ? { skip: true } : undefined
      },
    })
    expect(seen.map((t) => t.id)).toEqual(closed.map((t) => t.id))
    const skipped = seen.filter((_, i) => (i + 1) % 3 === 0)
    expect(result).toMatchObject({ seen: closed.length, skipped: skipped.length, processed: closed.length - skipped.length })
    const left = fixtures.filter.filter((t) => t.state !== 'closed').concat(skipped)
    expect(sortedIds(await unprocessed('filter'))).toEqual(sortedIds(left))

    const dryRun: string[] = []
    const dry = await client.processTickets({ markProcessed: false, pageSize: 4, handler: (t) => void dryRun.push(t.id) })
    expect(dryRun.sort()).toEqual(sortedIds(left))
    expect(dry).toMatchObject({ seen: left.length, processed: left.length, completed: true })
    expect(sortedIds(await unprocessed('filter'))).toEqual(sortedIds(left))
  })

  it('stops starting handlers when its signal aborts, and still marks the ones that finished', async () => {
    const stop = new AbortController()
    const handled: string[] = []
    const result = await clientFor('stop').processTickets({
      pageSize: 4,
      signal: stop.signal,
      handler: (ticket) => {
        handled.push(ticket.id)
        if (handled.length === 6) stop.abort()
      },
    })
    expect(result).toMatchObject({ seen: 6, processed: 6, completed: false })
    expect(handled).toEqual(
      [...fixtures.stop]
        .sort(byCreated)
        .slice(0, 6)
        .map((t) => t.id),
    )
    expect(await unprocessed('stop')).toHaveLength(COUNTS.stop - 6)
  })

  it('refuses to run without the tickets:write scope, before any handler runs', async () => {
    const client = clientFor('readonly')
    await expect(client.processTickets({ handler: () => expect.fail('must not run') })).rejects.toThrow(
      'processTickets needs the tickets:write scope to mark tickets, but the token has tickets:read (pass markProcessed: false to only run the handler)',
    )
    expect(await client.processTickets({ markProcessed: false, handler: () => undefined })).toMatchObject({ seen: 3, processed: 3 })
  })

  it('refuses a filter that sets what the loop owns', async () => {
    const client = clientFor('readonly')
    const filter = { externally_processed: true } as never
    await expect(client.processTickets({ filter, handler: () => undefined })).rejects.toThrow(
      'processTickets: filter may not set externally_processed; the loop sets it',
    )
  })
})
