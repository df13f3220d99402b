// The retention purge runs at start and on its interval, deletes in batches until a batch
// comes back short, logs how many it purged, survives a failure, and stops cleanly.
import { expect, it } from 'vitest'
import { retentionCutoff, startRetentionPurge } from '../../src/events/retention.js'

const NOW = new Date('2027-03-01T00:00:00Z')

function fakeLog() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = []
  const at = (level: string) => (fields: object, message: string) =>
    lines.push({ level, fields: fields as Record<string, unknown>, message })
  return { lines, info: at('info'), warn: at('warn') }
}

it('computes the cutoff in whole days', () => {
  expect(retentionCutoff(NOW, 30).toISOString()).toBe('2027-01-30T00:00:00.000Z')
})

it('purges on start in batches until one comes back short, and logs the count (stop ends a run after its batch)', async () => {
  const calls: Array<{ cutoff: string; limit: number | undefined }> = []
  const batches = [10_000, 10_000, 17]
  const log = fakeLog()
  const purge = startRetentionPurge({
    store: {
      purgeEventsBefore: async (cutoff, limit) => {
        calls.push({ cutoff: cutoff.toISOString(), limit })
        return batches.shift() ?? 0
      },
    },
    days: 30,
    clock: () => NOW,
    log,
  })
  // The run started at start; runNow joins it rather than starting a second one.
  expect(await purge.runNow()).toBe(20_017)
  await purge.stop()
  expect(calls).toEqual(Array(3).fill({ cutoff: '2027-01-30T00:00:00.000Z', limit: 10_000 }))
  expect(log.lines).toEqual([
    {
      level: 'info',
      fields: { purged: 20_017, cutoff: '2027-01-30T00:00:00.000Z' },
      message: 'event retention: purged 20017 events older than 30 days',
    },
  ])
})

it('runs again on its interval, and a failure is logged, not thrown', async () => {
  let runs = 0
  const log = fakeLog()
  const purge = startRetentionPurge({
    store: {
      purgeEventsBefore: async () => {
        runs++
        if (runs === 1) throw new Error('store down')
        return 0
      },
    },
    days: 1,
    intervalMs: 30,
    log,
  })
  for (let i = 0; i < 100 && runs < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  await purge.stop()
  expect(runs).toBeGreaterThanOrEqual(3)
  expect(log.lines[0]).toMatchObject({ level: 'warn', message: 'event retention purge failed; the next run tries again' })
  expect(log.lines[1]).toMatchObject({ level: 'info', fields: { purged: 0 } })
})
