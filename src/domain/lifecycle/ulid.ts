// Event ids: ULIDs (48-bit millisecond time, 80 random bits, Crockford base32), made to
// increase along one ticket's history even when two changes fall in the same millisecond or
// the clock steps back: each id is above the ticket's previous one. Written here rather than
// taken from a library because the increment must continue from an id read from the database,
// not from one this process made.
import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const TIME_CHARS = 10
const RANDOM_CHARS = 16

function encodeTime(ms: number): string {
  let out = ''
  let rest = ms
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[rest % 32]! + out
    rest = Math.floor(rest / 32)
  }
  return out
}

function randomPart(): string {
  const bytes = randomBytes(RANDOM_CHARS)
  let out = ''
  for (const byte of bytes) out += ALPHABET[byte % 32]
  return out
}

/** The next id in base32 order: the last character incremented, with carry. */
function increment(id: string): string {
  const chars = id.split('')
  for (let i = chars.length - 1; i >= TIME_CHARS; i--) {
    const index = ALPHABET.indexOf(chars[i]!)
    if (index < 31) {
      chars[i] = ALPHABET[index + 1]!
      return chars.join('')
    }
    chars[i] = '0'
  }
  throw new Error('ULID random part exhausted within one millisecond')
}

/** The time part of a ULID, in milliseconds since the epoch. */
export function ulidTime(id: string): number {
  let ms = 0
  for (const char of id.slice(0, TIME_CHARS)) ms = ms * 32 + ALPHABET.indexOf(char)
  return ms
}

/** A new ULID at `ms`, strictly greater than `previous` when one is given. */
export function nextUlid(ms: number, previous?: string | null): string {
  const candidate = encodeTime(ms) + randomPart()
  if (previous && candidate <= previous) return increment(previous)
  return candidate
}
