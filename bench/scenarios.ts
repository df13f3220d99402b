// The scenarios: each is a fixed, seeded list of requests (operations) that the HTTP load and
// the SQL yardstick both replay in order. Requests are spread over the providers with the
// dataset's skew (half of them go to the big provider) unless a scenario targets the big one.
import { seededRandom } from '../src/demo/generate-tickets.js'
import type { DatasetMeta, ProviderSample } from './dataset.js'
import { FEED_EVENTS_NEEDED, FEED_PAGE, FEED_PATH, FEED_SCENARIO } from './feed.js'
import { createOperation, LIFECYCLE_SCENARIOS, TRANSITIONS } from './lifecycle.js'
import { TICKETS_PATH, type Operation } from './operation.js'

export { TICKETS_PATH, type Operation } from './operation.js'
const OPERATIONS_PER_SCENARIO = 2_000

interface ScenarioDef {
  name: string
  description: string
  next(pick: Picker): Operation
}

class Picker {
  constructor(
    readonly meta: DatasetMeta,
    readonly random: () => number,
  ) {}
  /** A provider, with probability proportional to its number of tickets. */
  provider(): ProviderSample {
    let roll = this.random() * this.meta.tickets
    for (const provider of this.meta.providers) if ((roll -= provider.count) < 0) return provider
    return this.meta.providers[0]!
  }
  big(): ProviderSample {
    return this.meta.providers[0]!
  }
  of<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!
  }
}

function list(scenario: string, provider: ProviderSample, query: string): Operation {
  return { scenario, method: 'GET', providerId: provider.id, path: query ? `${TICKETS_PATH}?${query}` : TICKETS_PATH, query }
}

export const POLL_QUERY = 'state=closed&externally_processed=false&sort_by[created_at]=desc&limit=100'
export const PATCH_BODY = JSON.stringify({ externally_processed: true })

const DEFS: ScenarioDef[] = [
  {
    name: 'get-by-id',
    description: 'GET /v2/tickets/tickets/{id}, ids sampled over each provider’s history',
    next: (p) => {
      const provider = p.provider()
      const id = p.of(provider.ids)
      return { scenario: 'get-by-id', method: 'GET', providerId: provider.id, path: `${TICKETS_PATH}/${id}`, ticketId: id }
    },
  },
  {
    name: 'list-default',
    description: 'GET /v2/tickets/tickets (limit 25, oldest first)',
    next: (p) => list('list-default', p.provider(), ''),
  },
  { name: 'poll', description: `the partner poll: ?${POLL_QUERY}`, next: (p) => list('poll', p.provider(), POLL_QUERY) },
  {
    name: 'list-customer',
    description: '?customer_id={uuid}, customers sampled per provider',
    next: (p) => {
      const provider = p.provider()
      return list('list-customer', provider, `customer_id=${p.of(provider.customerIds)}`)
    },
  },
  { name: 'limit-1000', description: '?limit=1000', next: (p) => list('limit-1000', p.provider(), 'limit=1000') },
  { name: 'deep-offset', description: '?offset=100000 on the big provider', next: (p) => list('deep-offset', p.big(), 'offset=100000') },
  {
    name: 'patch-processed',
    description: `PATCH /v2/tickets/tickets/{id} with the merge patch ${PATCH_BODY}, on closed unprocessed tickets`,
    next: (p) => {
      const provider = p.provider()
      const id = p.of(provider.unprocessed.length > 0 ? provider.unprocessed : provider.ids)
      return {
        scenario: 'patch-processed',
        method: 'PATCH',
        providerId: provider.id,
        path: `${TICKETS_PATH}/${id}`,
        ticketId: id,
        body: PATCH_BODY,
      }
    },
  },
  {
    name: 'create',
    description: 'POST /v2/tickets/tickets: a pending ticket (customer, vehicle model, VIN), providers with the dataset’s skew',
    next: (p) => createOperation(p.provider(), p.random),
  },
  {
    name: 'count-closed',
    description: '?state=closed on the big provider (count-heavy)',
    next: (p) => list('count-closed', p.big(), 'state=closed'),
  },
]

/** Share of each scenario in the mixed workload (poll-heavy, as partners behave). */
export const MIX: Record<string, number> = {
  poll: 35,
  'get-by-id': 25,
  'patch-processed': 15,
  'list-default': 10,
  'list-customer': 8,
  'limit-1000': 4,
  'deep-offset': 3,
}

const MIXED: ScenarioDef = {
  name: 'mixed',
  description: `all of them: ${Object.entries(MIX)
    .map(([name, w]) => `${name} ${w}%`)
    .join(', ')}`,
  next: (p) => {
    let roll = p.random() * 100
    for (const [name, weight] of Object.entries(MIX)) if ((roll -= weight) < 0) return DEFS.find((d) => d.name === name)!.next(p)
    return DEFS[0]!.next(p)
  },
}

const ALL = [...DEFS, MIXED]
export const MAIN_SCENARIOS = [
  'get-by-id',
  'list-default',
  'poll',
  'list-customer',
  'limit-1000',
  'deep-offset',
  'patch-processed',
  ...LIFECYCLE_SCENARIOS,
  FEED_SCENARIO,
  'mixed',
]
export const CURVE_SCENARIOS = ['list-default', 'poll', 'count-closed', 'deep-offset', 'get-by-id']
/** The transitions' request lists come from the live store (bench/lifecycle.ts), not from here. */
const TRANSITION_DESCRIPTIONS: Record<string, string> = {
  join: `POST …/{id}/join with an operator, on tickets pending at the time (pool: bench/lifecycle.ts)`,
  release: 'POST …/{id}/release, on tickets in_progress at the time',
  close: 'POST …/{id}/close with an operator reference, on tickets in_progress at the time',
  [FEED_SCENARIO]: `GET ${FEED_PATH}?limit=${FEED_PAGE}&after_id=…, full pages of the big provider's feed (at least ${FEED_EVENTS_NEEDED} events; bench/feed.ts)`,
}
export const SCENARIO_NAMES = [...ALL.map((d) => d.name), ...Object.keys(TRANSITIONS), FEED_SCENARIO]

export function describeScenario(name: string): string {
  return ALL.find((d) => d.name === name)?.description ?? TRANSITION_DESCRIPTIONS[name] ?? name
}

/** The scenario's fixed request list; the same (meta, seed) always gives the same list. */
export function buildOperations(name: string, meta: DatasetMeta, seed: number): Operation[] {
  const def = ALL.find((d) => d.name === name)
  if (!def) throw new Error(`unknown scenario "${name}" (${SCENARIO_NAMES.join(', ')})`)
  const picker = new Picker(meta, seededRandom(seed * 7919 + ALL.indexOf(def)))
  return Array.from({ length: OPERATIONS_PER_SCENARIO }, () => def.next(picker))
}
