// A list page that runs out of time: at a deep offset the problem points the client to the
// cursor; on the first page it stays the plain query-timeout.
import { expect, it } from 'vitest'
import { listTicketsJson } from '../../src/domain/tickets.js'
import { parseTicketQuery } from '../../src/domain/ticket-query.js'
import { AppError } from '../../src/errors/app-error.js'
import type { TicketReads } from '../../src/store/ticket-reads.js'

const principal = { clientId: 'tc_x', providerId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', scopes: [] }
// What node-postgres throws when statement_timeout cancels a query.
const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })
const timingOut = { listTicketsJson: () => Promise.reject(cancelled) } as unknown as TicketReads

it('names the cursor when a deep offset runs out of time', async () => {
  const error = await listTicketsJson(timingOut, principal, parseTicketQuery('offset=900000&limit=100')).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(AppError)
  expect(error).toMatchObject({ slug: 'query-timeout', status: 503 })
  expect((error as AppError).detail).toMatch(/offset 900000 took too long.*pass each page's `next` as `after`/)
  expect((error as AppError).extras.headers).toEqual({ 'retry-after': '1' })
})

it('leaves a first page that runs out of time to the plain query-timeout', async () => {
  const error = await listTicketsJson(timingOut, principal, parseTicketQuery('limit=100')).catch((e: unknown) => e)
  expect(error).toBe(cancelled)
})
