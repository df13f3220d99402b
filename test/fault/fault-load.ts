// The mixed load the fault tests run while they break PostgreSQL, and what they require of it:
// every answer a 2xx or a 503 problem with Retry-After (never a 500, never a hang), recovery
// by itself, and every acknowledged PATCH in the database afterwards.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { Ticket } from '../../src/contract/ticket.js'
import type { Store } from '../../src/store/store.js'
import { bearer } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { getTicket } from '../support/store-queries.js'

/** No request may take longer: the client-side deadline and the connect timeout bound them far below. */
const HANG_MS = 15_000
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Outcome {
  kind: 'list' | 'patch'
  status: number | 'hang'
  body: string
  retryAfter: string | undefined
}

async function timed(kind: Outcome['kind'], request: Promise<LightMyRequestResponse>): Promise<Outcome> {
  const response = await Promise.race([request, sleep(HANG_MS).then(() => undefined)])
  if (!response) return { kind, status: 'hang', body: '', retryAfter: undefined }
  return { kind, status: response.statusCode, body: response.body, retryAfter: response.headers['retry-after'] as string | undefined }
}

/**
 * Runs one worker per ticket (PATCHes of its own ticket between list reads) while `faults`
 * runs, then waits for recovery and checks every requirement above.
 */
export async function expectToSurvive(
  app: FastifyInstance,
  store: Store,
  token: string,
  tickets: Ticket[],
  faults: () => Promise<void>,
): Promise<void> {
  const outcomes: Outcome[] = []
  /** Per worker: the sequence numbers of acknowledged PATCHes, and of every one sent. */
  const acked: number[][] = tickets.map(() => [])
  const sent: number[][] = tickets.map(() => [])
  let running = true

  const worker = async (w: number) => {
    for (let seq = 1; running; seq++) {
      if (seq % 2 === 0) {
        outcomes.push(
          await timed('list', app.inject({ url: '/v2/tickets/tickets?limit=5&sort_by[updated_at]=desc', headers: bearer(token) })),
        )
      } else {
        sent[w]!.push(seq)
        const outcome = await timed(
          'patch',
          app.inject({
            method: 'PATCH',
            url: `/v2/tickets/tickets/${tickets[w]!.id}`,
            headers: { ...bearer(token), 'content-type': 'application/json' },
            payload: JSON.stringify({ external_reference: `fault-${w}-${seq}` }),
          }),
        )
        outcomes.push(outcome)
        if (typeof outcome.status === 'number' && outcome.status < 300) acked[w]!.push(seq)
      }
      await sleep(10)
    }
  }
  const load = tickets.map((_, w) => worker(w))

  await sleep(500)
  await faults()
  const back = Date.now()
  // Recovery: within seconds, requests succeed again without anyone's help.
  let recoveredAfter: number | undefined
  while (recoveredAfter === undefined && Date.now() - back < 20_000) {
    const probe = await app.inject({ url: '/v2/tickets/tickets?limit=1', headers: bearer(token) })
    if (probe.statusCode === 200) recoveredAfter = Date.now() - back
    else await sleep(100)
  }
  await sleep(1_000)
  running = false
  await Promise.all(load)

  expect(recoveredAfter, 'recovered after the faults ended').toBeDefined()

  // Every answer: a 2xx, or a 503 problem with Retry-After. Never a 500, never a hang.
  const statuses = new Map<string, number>()
  for (const o of outcomes) statuses.set(String(o.status), (statuses.get(String(o.status)) ?? 0) + 1)
  const bad = outcomes.filter((o) => !(typeof o.status === 'number' && ((o.status >= 200 && o.status < 300) || o.status === 503)))
  expect(
    bad.map((o) => `${o.kind} ${o.status} ${o.body.slice(0, 200)}`),
    JSON.stringify([...statuses]),
  ).toEqual([])
  for (const o of outcomes.filter((x) => x.status === 503)) {
    expect(o.retryAfter).toMatch(/^\d+$/)
    expect(['store-unavailable', 'query-timeout']).toContain((JSON.parse(o.body) as { code: string }).code)
  }
  // The faults really happened (some 503s) and the load really ran (some 2xx around them).
  expect(statuses.get('503') ?? 0).toBeGreaterThan(0)
  expect(outcomes.filter((o) => o.kind === 'patch' && o.status === 200).length).toBeGreaterThan(tickets.length)

  // Nothing acknowledged is lost: each ticket holds its last acknowledged PATCH, or a later
  // one whose answer was a 503 (a write may commit although its answer could not be given).
  for (const [w, t] of tickets.entries()) {
    const row = await getTicket(store.db, { providerId: PROVIDER_A }, t.id)
    const lastAcked = acked[w]!.at(-1)
    if (lastAcked === undefined) continue
    const match = /^fault-(\d+)-(\d+)$/.exec(row!.external_reference)
    expect(match, `ticket ${w} holds ${row!.external_reference}`).not.toBeNull()
    expect(Number(match![1])).toBe(w)
    expect(Number(match![2])).toBeGreaterThanOrEqual(lastAcked)
    expect(sent[w]).toContain(Number(match![2]))
  }
}
