// The benchmark dataset: N tickets over 20 providers, one of which holds half of them, the rest
// in a Zipf tail; states mostly closed (see STATE_WEIGHTS); two years of timestamps; unique
// ticket numbers across providers. Deterministic for (N, seed). Written as NDJSON with
// provider_id on every line (the format `tickets import` reads), plus a small meta file with
// the samples the scenarios draw from (ids, customers, tickets that a poll would return).
//
// Standalone: tsx bench/dataset.ts --tickets N [--seed S] [--out file.ndjson]
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Ticket, TicketState } from '../src/contract/ticket.js'
import { generateTickets, seededRandom } from '../src/demo/generate-tickets.js'

export const PROVIDER_COUNT = 20
const FIRST_TICKET_NUMBER = 7_000_000
const SAMPLE_SIZE = 500
const CUSTOMER_SAMPLE = 50
/** Mostly closed, some cancelled, a few of each other state. */
export const STATE_WEIGHTS: Record<TicketState, number> = {
  closed: 84,
  cancelled: 10,
  pending: 1.5,
  in_progress: 1.5,
  prepared: 1.5,
  outsourced: 1.5,
}

export interface ProviderPlan {
  index: number
  id: string
  count: number
  firstTicketNumber: number
  seed: number
  customers: number
}

export interface ProviderSample extends ProviderPlan {
  /** Ticket ids spread over the provider's whole history (reservoir sample). */
  ids: string[]
  /** Closed, not yet externally processed tickets: what a partner marks as processed. */
  unprocessed: string[]
  customerIds: string[]
}

export interface DatasetMeta {
  tickets: number
  seed: number
  /** Hash of the generator code: a cached file made by other code is regenerated. */
  generator: string
  providers: ProviderSample[]
  states: Record<string, number>
}

/** Provider 0 holds half; providers 1..19 share the other half as 1/k. */
export function planProviders(total: number, seed: number): ProviderPlan[] {
  const big = Math.floor(total / 2)
  const harmonic = Array.from({ length: PROVIDER_COUNT - 1 }, (_, k) => 1 / (k + 1))
  const sum = harmonic.reduce((a, b) => a + b, 0)
  const counts = [big, ...harmonic.map((w) => Math.floor(((total - big) * w) / sum))]
  counts[1]! += total - counts.reduce((a, b) => a + b, 0)
  let next = FIRST_TICKET_NUMBER
  return counts.map((count, index) => {
    const plan = {
      index,
      id: `b0000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`,
      count,
      firstTicketNumber: next,
      seed: seed * 1000 + index,
      customers: Math.max(25, Math.round(count / 2000)),
    }
    next += count
    return plan
  })
}

export function* datasetTickets(plan: ProviderPlan): Generator<Ticket> {
  yield* generateTickets({
    count: plan.count,
    seed: plan.seed,
    providerId: plan.id,
    stateWeights: STATE_WEIGHTS,
    firstTicketNumber: plan.firstTicketNumber,
    customers: plan.customers,
    spanDays: 730,
    until: new Date('2026-11-30T00:00:00Z'),
  })
}

export function generatorHash(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const hash = createHash('sha256')
  for (const file of [join(here, 'dataset.ts'), join(here, '../src/demo/generate-tickets.ts')]) hash.update(readFileSync(file))
  return hash.digest('hex').slice(0, 16)
}

class Reservoir {
  readonly items: string[] = []
  #seen = 0
  constructor(
    private readonly size: number,
    private readonly random: () => number,
  ) {}
  offer(item: string) {
    this.#seen++
    if (this.items.length < this.size) this.items.push(item)
    else {
      const slot = Math.floor(this.random() * this.#seen)
      if (slot < this.size) this.items[slot] = item
    }
  }
}

/** Generates the dataset; `write` receives NDJSON chunks (undefined: sample only). */
export async function buildDataset(tickets: number, seed: number, write?: (chunk: string) => Promise<void>): Promise<DatasetMeta> {
  const providers: ProviderSample[] = []
  const states: Record<string, number> = {}
  for (const plan of planProviders(tickets, seed)) {
    const random = seededRandom(plan.seed ^ 0x5eed)
    const ids = new Reservoir(SAMPLE_SIZE, random)
    const unprocessed = new Reservoir(SAMPLE_SIZE, random)
    const customers = new Set<string>()
    let lines: string[] = []
    for (const ticket of datasetTickets(plan)) {
      ids.offer(ticket.id)
      if (ticket.state === 'closed' && !ticket.externally_processed) unprocessed.offer(ticket.id)
      if (ticket.customer_id && customers.size < CUSTOMER_SAMPLE) customers.add(ticket.customer_id)
      states[ticket.state] = (states[ticket.state] ?? 0) + 1
      if (write) {
        lines.push(JSON.stringify({ provider_id: plan.id, ...ticket }))
        if (lines.length === 2_000) {
          await write(`${lines.join('\n')}\n`)
          lines = []
        }
      }
    }
    if (write && lines.length > 0) await write(`${lines.join('\n')}\n`)
    providers.push({ ...plan, ids: ids.items, unprocessed: unprocessed.items, customerIds: [...customers] })
  }
  return { tickets, seed, generator: generatorHash(), providers, states }
}

export function datasetPaths(dir: string, tickets: number, seed: number) {
  const base = join(dir, `tickets-${tickets}-s${seed}`)
  return { ndjson: `${base}.ndjson`, meta: `${base}.meta.json` }
}

function readMeta(path: string): DatasetMeta | undefined {
  try {
    const meta = JSON.parse(readFileSync(path, 'utf8')) as DatasetMeta
    return meta.generator === generatorHash() ? meta : undefined
  } catch {
    return undefined
  }
}

/** The NDJSON file and its meta, generated unless a current cached copy exists. */
export async function ensureDatasetFile(
  dir: string,
  tickets: number,
  seed: number,
  log: (line: string) => void,
): Promise<{ ndjson: string; meta: DatasetMeta; generatedSeconds?: number }> {
  const paths = datasetPaths(dir, tickets, seed)
  const cached = readMeta(paths.meta)
  if (cached && existsSync(paths.ndjson)) return { ndjson: paths.ndjson, meta: cached }
  mkdirSync(dir, { recursive: true })
  const started = performance.now()
  const out = createWriteStream(paths.ndjson)
  const meta = await buildDataset(tickets, seed, async (chunk) => {
    if (!out.write(chunk)) await once(out, 'drain')
  })
  out.end()
  await once(out, 'finish')
  writeFileSync(paths.meta, JSON.stringify(meta))
  const generatedSeconds = (performance.now() - started) / 1000
  log(`generated ${tickets} tickets into ${paths.ndjson} in ${generatedSeconds.toFixed(1)} s`)
  return { ndjson: paths.ndjson, meta, generatedSeconds }
}

/** The meta alone (for a database loaded earlier): cached, or re-derived without writing. */
export async function datasetMeta(dir: string, tickets: number, seed: number): Promise<DatasetMeta> {
  const paths = datasetPaths(dir, tickets, seed)
  const cached = readMeta(paths.meta)
  if (cached) return cached
  const meta = await buildDataset(tickets, seed)
  mkdirSync(dir, { recursive: true })
  writeFileSync(paths.meta, JSON.stringify(meta))
  return meta
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { parseArgs } = await import('node:util')
  const { values } = parseArgs({ options: { tickets: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } } })
  const tickets = Number(values.tickets ?? 1_000_000)
  const seed = Number(values.seed ?? 1)
  const out = values.out ? createWriteStream(values.out) : process.stdout
  const meta = await buildDataset(tickets, seed, async (chunk) => {
    if (!out.write(chunk)) await once(out, 'drain')
  })
  if (values.out) out.end()
  process.stderr.write(
    `${meta.tickets} tickets; states ${JSON.stringify(meta.states)}; ` + `providers ${meta.providers.map((p) => p.count).join(', ')}\n`,
  )
}
