// Deterministic, valid tickets in every state, for the demo store, test fixtures and the
// benchmark dataset. The same seed always yields the same tickets.
import type { Ticket, TicketState } from '../contract/ticket.js'
import { parseDateTime } from '../domain/values.js'

/**
 * sfc32, its 128-bit state spread from the seed by splitmix32. Streams of different seeds are
 * effectively independent: the additive mulberry32 used before walks one 2^32 cycle from
 * wherever the seed puts it, so two providers' streams overlapped at 10M tickets and repeated
 * ticket ids (the import refused the file, as it should).
 */
export function seededRandom(seed: number): () => number {
  let mix = seed >>> 0
  const splitmix32 = () => {
    mix = (mix + 0x9e3779b9) >>> 0
    let z = mix
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad)
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97)
    return (z ^ (z >>> 15)) >>> 0
  }
  let a = splitmix32()
  let b = splitmix32()
  let c = splitmix32()
  let d = splitmix32()
  const next = () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  return next
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16))
  hex[12] = '4'
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  const h = hex.join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'
const vinFrom = (random: () => number) => Array.from({ length: 17 }, () => VIN_CHARS[Math.floor(random() * VIN_CHARS.length)]).join('')
// In the canonical form the API returns (trailing fractional zeros trimmed), so generated
// tickets compare equal to what the store hands back.
const iso = (ms: number) => parseDateTime(new Date(ms).toISOString())

export interface GenerateOptions {
  count: number
  seed?: number
  /** The provider the tickets belong to; also their source_provider_id unless insourced. */
  providerId: string
  /** Weights per state; defaults to mostly closed, as in production. */
  stateWeights?: Partial<Record<TicketState, number>>
  firstTicketNumber?: number
  /** Tickets are created over this window ending at `until`. */
  spanDays?: number
  until?: Date
  customers?: number
}

const DEFAULT_WEIGHTS: Record<TicketState, number> = {
  closed: 70,
  cancelled: 12,
  pending: 5,
  in_progress: 5,
  prepared: 4,
  outsourced: 4,
}

export function* generateTickets(options: GenerateOptions): Generator<Ticket> {
  const random = seededRandom(options.seed ?? 1)
  const weights = { ...DEFAULT_WEIGHTS, ...options.stateWeights }
  const states = Object.entries(weights) as [TicketState, number][]
  const totalWeight = states.reduce((sum, [, w]) => sum + w, 0)
  const pickState = (): TicketState => {
    let roll = random() * totalWeight
    for (const [state, weight] of states) if ((roll -= weight) < 0) return state
    return 'closed'
  }
  const until = (options.until ?? new Date('2026-11-30T00:00:00Z')).getTime()
  const span = (options.spanDays ?? 730) * 86_400_000
  const customers = Array.from({ length: options.customers ?? 25 }, () => uuidFrom(random))
  const connectors = customers.map(() => uuidFrom(random))
  const operators = Array.from({ length: 8 }, () => uuidFrom(random))
  const partner = uuidFrom(random)
  const step = span / Math.max(options.count, 1)
  for (let i = 0; i < options.count; i++) {
    const state = pickState()
    const createdAt = Math.floor(until - span + i * step + random() * step)
    const assignedAt = createdAt + Math.floor(random() * 3_600_000)
    const finishedAt = assignedAt + Math.floor(random() * 7_200_000)
    const customer = Math.floor(random() * customers.length)
    const started = state === 'in_progress' || state === 'closed' || (state === 'cancelled' && random() < 0.6)
    const insourced = random() < 0.1
    const done = state === 'closed' || state === 'cancelled'
    const updatedAt = done ? finishedAt + Math.floor(random() * 60_000) : started ? assignedAt : createdAt
    yield {
      id: uuidFrom(random),
      assigned_at: started ? iso(assignedAt) : null,
      cancel_reason_id: state === 'cancelled' ? 1 + Math.floor(random() * 6) : null,
      connection_id: state === 'prepared' ? null : uuidFrom(random),
      created_at: iso(createdAt),
      customer_channel_id: state === 'prepared' ? null : uuidFrom(random),
      customer_connector_id: connectors[customer]!,
      customer_id: customers[customer]!,
      customer_reference: random() < 0.5 ? `CR-${Math.floor(random() * 100_000)}` : '',
      external_reference: '',
      externally_processed: done && random() < 0.5,
      finished_at: done ? iso(finishedAt) : null,
      operator_channel_id: insourced ? uuidFrom(random) : null,
      operator_id: started ? operators[Math.floor(random() * operators.length)]! : null,
      operator_reference: started && random() < 0.3 ? `OP-${Math.floor(random() * 10_000)}` : '',
      outsourced: state === 'outsourced' || random() < 0.05,
      source_provider_id: insourced ? partner : options.providerId,
      state,
      ticket_number: (options.firstTicketNumber ?? 7_000_000) + i,
      updated_at: iso(updatedAt),
      vehicle_model_id: 100 + Math.floor(random() * 400),
      vin: state === 'prepared' && random() < 0.5 ? null : vinFrom(random),
      voucher_code:
        random() < 0.15
          ? `V${Math.floor(random() * 1e6)
              .toString(36)
              .toUpperCase()}`
          : null,
    }
  }
}
