// The lifecycle scenarios (create, join, release, close): writes that change a ticket's state,
// so a request only succeeds on a ticket in the right state, and never twice on the same one.
//
// State pools: just before the scenario, the bench asks the running server (GET
// ?state=<from>, walked by cursor for every provider) which tickets are in the state the action
// starts from now, not what the generated dataset had: the bench stores are reused across
// runs and invocations, and every transition run moves tickets. Each ticket then gets exactly
// one request, in a seeded order (so the providers' skew follows the dataset's). The pool must
// cover the whole warm-up and window: when it holds fewer than (warm-up + duration) ×
// --pool-rate tickets, it is topped up first, outside the measurement, through the API itself
// (create pending tickets; for close, join them too). If the server still outruns the pool, the
// load stops at its last ticket and the figure is marked as such (shorter window).
//
// Pairs: join moves pending → in_progress, release in_progress → pending, close in_progress →
// closed (terminal), create adds pending tickets. The scenario order create → join → close →
// release keeps the pools roughly balanced from run to run (create refills pending, join feeds
// close, release gives the rest back); the top-up covers whatever is left short.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { seededRandom } from '../src/demo/generate-tickets.js'
import type { Build } from './cli.js'
import type { DatasetMeta } from './dataset.js'
import { TICKETS_PATH, type Operation } from './operation.js'
import type { RunningServer } from './server.js'

/** What each lifecycle scenario asks, and which state its tickets must be in. */
export const TRANSITIONS = {
  join: { from: 'pending', action: 'join' },
  release: { from: 'in_progress', action: 'release' },
  close: { from: 'in_progress', action: 'close' },
} as const
export type TransitionScenario = keyof typeof TRANSITIONS
export const LIFECYCLE_SCENARIOS = ['create', ...Object.keys(TRANSITIONS)] as string[]
export const isTransition = (scenario: string): scenario is TransitionScenario => scenario in TRANSITIONS

/** The operator every join names (any UUID will do: operators are not a resource of this API). */
export const BENCH_OPERATOR = 'b0000000-0000-4000-8000-0000000000ff'
export const JOIN_BODY = JSON.stringify({ operator_id: BENCH_OPERATOR })
export const CLOSE_BODY = JSON.stringify({ operator_reference: 'bench' })
export const RELEASE_BODY = '{}'
const BODIES: Record<TransitionScenario, string> = { join: JOIN_BODY, release: RELEASE_BODY, close: CLOSE_BODY }

export const BENCH_CREATED = 'bench-created'

/** A pending ticket as a partner system would create it; the VIN is fixed, the customer per provider. */
export function createBody(provider: DatasetMeta['providers'][number], random: () => number): string {
  return JSON.stringify({
    customer_id: provider.customerIds[Math.floor(random() * provider.customerIds.length)] ?? provider.id,
    vehicle_model_id: 1 + Math.floor(random() * 500),
    vin: 'WBENCH00000000001',
    // Marks the bench's own tickets: a store that holds the dataset plus these is still reused (load.ts).
    customer_reference: BENCH_CREATED,
  })
}

/** Whether the measured build has the lifecycle routes (8649e3c and older do not). */
export function hasLifecycle(build: Build): boolean {
  return existsSync(join(dirname(dirname(build.entry)), 'http/routes/lifecycle.js'))
}

const transitionOperation = (scenario: TransitionScenario, providerId: string, id: string): Operation => ({
  scenario,
  method: 'POST',
  providerId,
  path: `${TICKETS_PATH}/${id}/${TRANSITIONS[scenario].action}`,
  ticketId: id,
  body: BODIES[scenario],
  consumes: true,
})

async function call(server: RunningServer, token: string, method: string, path: string, body?: string): Promise<unknown> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text) as unknown
}

/** Every ticket of the provider that is in `state` now, walked by cursor. */
async function ticketsInState(server: RunningServer, token: string, state: string): Promise<string[]> {
  const ids: string[] = []
  let query = `state=${state}&limit=1000`
  for (;;) {
    const page = (await call(server, token, 'GET', `${TICKETS_PATH}?${query}`)) as { result: { id: string }[]; next: string | null }
    for (const ticket of page.result) ids.push(ticket.id)
    if (page.next === null) return ids
    query = `state=${state}&limit=1000&after=${encodeURIComponent(page.next)}`
  }
}

/** Runs `work` over the items, `concurrency` at a time. */
async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

export interface PoolOptions {
  server: RunningServer
  tokens: Map<string, string>
  meta: DatasetMeta
  seed: number
  /** How many tickets the scenario needs at least (warm-up + window at the expected rate). */
  needed: number
  log: (line: string) => void
}

/**
 * The transition's operations: one per ticket currently in the state it starts from, topped
 * up through the API to `needed`, in a seeded order.
 */
export async function transitionOperations(scenario: TransitionScenario, options: PoolOptions): Promise<Operation[]> {
  const { server, tokens, meta, needed, log } = options
  const { from } = TRANSITIONS[scenario]
  const random = seededRandom(options.seed * 104_729 + Object.keys(TRANSITIONS).indexOf(scenario))
  const pool: Array<{ providerId: string; id: string }> = []
  for (const provider of meta.providers)
    // Deduplicated: a ticket listed twice would get a second request and a 409.
    for (const id of new Set(await ticketsInState(server, tokens.get(provider.id)!, from))) pool.push({ providerId: provider.id, id })
  const found = pool.length
  if (found < needed) {
    // Top-up, outside the measurement: new pending tickets over the providers with the dataset's skew.
    const missing = needed - found
    const started = performance.now()
    const picks = Array.from({ length: missing }, () => {
      let roll = random() * meta.tickets
      for (const provider of meta.providers) if ((roll -= provider.count) < 0) return provider
      return meta.providers[0]!
    })
    await inParallel(picks, 8, async (provider) => {
      const token = tokens.get(provider.id)!
      const created = (await call(server, token, 'POST', TICKETS_PATH, createBody(provider, random))) as { id: string }
      if (from === 'in_progress') await call(server, token, 'POST', `${TICKETS_PATH}/${created.id}/join`, JOIN_BODY)
      pool.push({ providerId: provider.id, id: created.id })
    })
    log(
      `${scenario}: ${found} tickets ${from}, topped up with ${missing} new ones through the API in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    )
  } else log(`${scenario}: ${found} tickets ${from} (needs ${needed})`)
  return shuffle(pool, random).map(({ providerId, id }) => transitionOperation(scenario, providerId, id))
}

/** create: POST /v2/tickets/tickets, pending tickets spread over the providers with the dataset's skew. */
export function createOperation(provider: DatasetMeta['providers'][number], random: () => number): Operation {
  return { scenario: 'create', method: 'POST', providerId: provider.id, path: TICKETS_PATH, body: createBody(provider, random) }
}
