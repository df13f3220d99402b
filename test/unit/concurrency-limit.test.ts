// ConcurrencyLimit: never more than `limit` at once, waiters served in order, the rest refused.
import { expect, it } from 'vitest'
import { ConcurrencyLimit } from '../../src/limits/concurrency-limit.js'

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

it('runs at most `limit` tasks, queues `queue` more in order and refuses the rest at once', async () => {
  const limit = new ConcurrencyLimit(2, 2)
  const gates = Array.from({ length: 5 }, deferred)
  const started: number[] = []
  const refuse = () => new Error('busy')
  const runs = gates.map((gate, i) =>
    limit.run(async () => {
      started.push(i)
      await gate.promise
      return i
    }, refuse),
  )
  await expect(runs[4]).rejects.toThrow('busy')
  await Promise.resolve()
  expect(started).toEqual([0, 1])
  expect([limit.running, limit.waiting]).toEqual([2, 2])

  gates[1]!.resolve()
  await runs[1]
  await new Promise((r) => setImmediate(r))
  expect(started).toEqual([0, 1, 2])
  expect([limit.running, limit.waiting]).toEqual([2, 1])

  for (const gate of gates) gate.resolve()
  expect(await Promise.all(runs.slice(0, 4))).toEqual([0, 1, 2, 3])
  expect([limit.running, limit.waiting]).toEqual([0, 0])
})

it('frees the slot when a task fails', async () => {
  const limit = new ConcurrencyLimit(1, 0)
  await expect(
    limit.run(
      () => Promise.reject(new Error('boom')),
      () => new Error('busy'),
    ),
  ).rejects.toThrow('boom')
  expect(
    await limit.run(
      async () => 'next',
      () => new Error('busy'),
    ),
  ).toBe('next')
})
