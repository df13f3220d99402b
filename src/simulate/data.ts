// Made-up but well-formed values for the simulated platform: customers, operators, vehicles.
const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'
const MODELS = [4711, 4712, 5120, 6031, 7007, 8150]

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20)}`
}

export interface People {
  customer(): string
  operator(side: 0 | 1): string
  vin(): string
  model(): number
  pickOne<T>(values: readonly T[]): T
}

/** A few dozen customers and a handful of operators per provider, reused the way real ones are. */
export function people(random: () => number): People {
  const customers = Array.from({ length: 40 }, () => uuidFrom(random))
  const operators = [Array.from({ length: 6 }, () => uuidFrom(random)), Array.from({ length: 6 }, () => uuidFrom(random))]
  const pickOne = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!
  return {
    customer: () => pickOne(customers),
    operator: (side) => pickOne(operators[side]!),
    vin: () => Array.from({ length: 17 }, () => pickOne([...VIN_CHARS])).join(''),
    model: () => pickOne(MODELS),
    pickOne,
  }
}

/** A small seeded generator (mulberry32), so a run can be repeated. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
