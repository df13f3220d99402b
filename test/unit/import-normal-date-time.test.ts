// The import's fast path for date-times (import-lines.ts): it may only ever accept a value that
// parseDateTime would return unchanged, and it must recognise everything parseDateTime returns.
import { describe, expect, it } from 'vitest'
import { isNormalDateTime } from '../../src/domain/import-lines.js'
import { parseDateTime } from '../../src/domain/values.js'

const parsed = (raw: string) => {
  try {
    return parseDateTime(raw)
  } catch {
    return undefined
  }
}

describe('isNormalDateTime', () => {
  it('accepts a value only when parseDateTime returns it unchanged, over a seeded sweep of near-misses', () => {
    let seed = 42
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const pad = (n: number, width = 2) => String(n).padStart(width, '0')
    let accepted = 0
    for (let i = 0; i < 20_000; i++) {
      const fraction = ['', '.0', '.5', '.50', '.123456', '.1234560', '.000001', '.100000', '.1234567'][next(9)]
      const zone = ['Z', 'Z', 'Z', 'z', '+00:00', '+02:00', '-05:30'][next(7)]
      const raw =
        `${pad(next(10_000), 4)}-${pad(next(14))}-${pad(next(33))}${next(5) ? 'T' : 't'}` +
        `${pad(next(26))}:${pad(next(62))}:${pad(next(62))}${fraction}${zone}`
      const normal = parsed(raw)
      if (isNormalDateTime(raw)) {
        accepted++
        expect(normal, raw).toBe(raw)
      }
      if (normal !== undefined) expect(isNormalDateTime(normal), normal).toBe(true)
    }
    expect(accepted).toBeGreaterThan(300)
  })

  it.each([
    ['2024-02-29T00:00:00Z', true],
    ['2023-02-29T00:00:00Z', false],
    ['1900-02-29T00:00:00Z', false],
    ['2000-02-29T23:59:59.999999Z', true],
    ['0000-01-01T00:00:00Z', false],
    ['0001-01-01T00:00:00Z', true],
    ['2024-01-01T00:00:00.10Z', false],
    ['2024-01-01T00:00:60Z', false],
    ['2024-01-01T00:00:00+00:00', false],
  ])('%s → %s', (raw, expected) => {
    expect(isNormalDateTime(raw)).toBe(expected)
    if (expected) expect(parseDateTime(raw)).toBe(raw)
  })
})
