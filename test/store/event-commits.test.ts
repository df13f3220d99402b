// Commits of events are heard: in-process after the transaction commits (never after a
// rollback), and, on PostgreSQL, by another process following the NOTIFY channel, each commit
// once. The payload of a NOTIFY stays under PostgreSQL's 8000-byte limit.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Principal } from '../../src/auth/bearer.js'
import { createTicket } from '../../src/domain/lifecycle/create-ticket.js'
import { endpointDisabledEvent } from '../../src/events/provider-events.js'
import { decodeCommits, encodeCommits } from '../../src/store/event-notify.js'
import { openStore } from '../../src/store/open-store.js'
import { CUSTOMER_X, PROVIDER_A, PROVIDER_B } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

const principal = (providerId: string): Principal => ({ clientId: 'tc_test', providerId, scopes: ['tickets:manage'] })
const newTicket = { customer_id: CUSTOMER_X, vehicle_model_id: 1, vin: 'WVWZZZ1JZXW000001' }

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  expect(condition()).toBe(true)
}

describe('NOTIFY payloads', () => {
  it('split many providers into payloads under 8000 bytes that decode back', () => {
    const ids = Array.from({ length: 500 }, () => randomUUID())
    const payloads = encodeCommits('0123456789abcdef', ids)
    expect(payloads.length).toBeGreaterThan(1)
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000)
    const decoded = payloads.map((payload) => decodeCommits(payload)!)
    expect(decoded.every((d) => d.origin === '0123456789abcdef')).toBe(true)
    expect(decoded.flatMap((d) => d.providerIds)).toEqual(ids)
    expect(decodeCommits('no origin')).toBeUndefined()
  })
})

describeEachStore('event commits', (context) => {
  it('are heard after the commit with their providers, and never after a rollback', async () => {
    const { store } = context
    const heard: string[][] = []
    const stop = store.onEventsCommitted((ids) => heard.push([...ids]))
    try {
      await store.transact(async (ledger) => {
        await createTicket(ledger, { principal: principal(PROVIDER_A), now: new Date() }, newTicket)
        // Heard only once the transaction has committed.
        expect(heard).toEqual([])
        await createTicket(ledger, { principal: principal(PROVIDER_B), now: new Date() }, newTicket)
      })
      expect(heard.map((ids) => [...ids].sort())).toEqual([[PROVIDER_A, PROVIDER_B].sort()])

      await expect(
        store.transact(async (ledger) => {
          await createTicket(ledger, { principal: principal(PROVIDER_A), now: new Date() }, newTicket)
          throw new Error('rolled back')
        }),
      ).rejects.toThrow('rolled back')
      expect(heard).toHaveLength(1)

      await store.appendProviderEvent(
        endpointDisabledEvent(PROVIDER_B, { id: randomUUID(), url: 'https://x.test/h', disabled_reason: 'gone' }, new Date()),
      )
      expect(heard.at(-1)).toEqual([PROVIDER_B])
    } finally {
      stop()
    }
    await store.appendProviderEvent(
      endpointDisabledEvent(PROVIDER_B, { id: randomUUID(), url: 'https://x.test/h', disabled_reason: 'gone' }, new Date()),
    )
    expect(heard).toHaveLength(2)
  })

  it.runIf(context.kind === 'postgres')('reach another process through NOTIFY, each commit once', async () => {
    const open = () =>
      openStore({ databaseUrl: context.env.TICKETS_DATABASE_URL!, dataDir: '', poolSize: 2, migrate: false, followEventCommits: true })
    const writer = await open()
    const other = await open()
    try {
      // A provider of this test alone: the suite's own store shares the database, and its
      // notifications of earlier tests' commits may still arrive (they name other providers).
      const provider = randomUUID()
      const naming = (list: string[][]) => list.filter((ids) => ids.includes(provider))
      const theirs: string[][] = []
      const mine: string[][] = []
      other.onEventsCommitted((ids) => theirs.push([...ids]))
      // The writer follows too: its own NOTIFY must not make it hear its commit twice.
      writer.onEventsCommitted((ids) => mine.push([...ids]))
      await writer.transact((ledger) => createTicket(ledger, { principal: principal(provider), now: new Date() }, newTicket))
      await until(() => naming(theirs).length === 1)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(naming(theirs)).toEqual([[provider]])
      expect(naming(mine)).toEqual([[provider]])

      // Commits within one tick share a notification; every provider is named.
      const providers: string[] = Array.from({ length: 20 }, () => randomUUID())
      const before = theirs.length
      await Promise.all(
        providers.map((p) =>
          writer.appendProviderEvent(
            endpointDisabledEvent(p, { id: randomUUID(), url: 'https://x.test/h', disabled_reason: 'r' }, new Date()),
          ),
        ),
      )
      const heard = () => theirs.slice(before).filter((ids) => ids.some((p) => providers.includes(p)))
      await until(
        () =>
          new Set(
            heard()
              .flat()
              .filter((p) => providers.includes(p)),
          ).size === 20,
      )
      // Fewer notifications than commits: they were batched.
      expect(heard().length).toBeLessThan(20)
    } finally {
      await other.close()
      await writer.close()
    }
  })
})
