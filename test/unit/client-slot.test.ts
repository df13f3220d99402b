// A request's concurrency slot can be given back while it waits (a long poll) and taken again
// in turn; a slot obtained after the response ended is returned at once.
import { expect, it } from 'vitest'
import { ClientConcurrency } from '../../src/limits/client-concurrency.js'

const tick = () => new Promise((resolve) => setImmediate(resolve))

it('lets the client’s other requests run while a long poll waits, and queues its return', async () => {
  const concurrency = new ClientConcurrency(1)
  const poll = await concurrency.slot('c')
  let fetched = false
  const fetch = concurrency.slot('c').then((slot) => ((fetched = true), slot))
  await tick()
  expect(fetched).toBe(false)

  poll.suspend()
  const fetchSlot = await fetch
  expect(fetched).toBe(true)
  let resumed: boolean | undefined
  const resuming = poll.resume().then((ok) => (resumed = ok))
  await tick()
  expect(resumed).toBeUndefined()
  fetchSlot.finish()
  await resuming
  expect(resumed).toBe(true)
  poll.finish()
  expect(concurrency.activeClients).toBe(0)
})

it('gives back a slot obtained after the response ended, and says no when the queue is full', async () => {
  const concurrency = new ClientConcurrency(1)
  const poll = await concurrency.slot('c')
  poll.suspend()
  const other = await concurrency.slot('c')
  const resuming = poll.resume()
  poll.finish()
  other.finish()
  expect(await resuming).toBe(false)
  expect(concurrency.activeClients).toBe(0)

  // The queue (32) is full: a slot cannot be had again, and resume says so instead of failing.
  const holder = await concurrency.slot('c')
  holder.suspend()
  const running = await concurrency.slot('c')
  const queued = Array.from({ length: 32 }, () => concurrency.slot('c'))
  expect(await holder.resume()).toBe(false)
  holder.finish()
  running.finish()
  for (const q of queued) (await q).finish()
  expect(concurrency.activeClients).toBe(0)
})
