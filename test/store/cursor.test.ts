// Keyset pagination: following `next` cursors visits exactly the tickets of the offset walk,
// in the same order, for every sort (nulls last, ties broken by id).
import { expect, it } from 'vitest'
import { parseTicketQuery } from '../../src/domain/ticket-query.js'
import { listTicketsJson } from '../../src/domain/tickets.js'
import type { Ticket } from '../../src/contract/ticket.js'
import { describeEachStore } from '../support/stores.js'
import { EDGE_TICKETS, PROVIDER_A, seedStore, ticketsOf } from '../support/fixtures.js'

const principal = { clientId: 'c', providerId: PROVIDER_A, scopes: ['tickets:read' as const] }

const SORTS = [
  '',
  'sort_by[created_at]=desc',
  'sort_by[finished_at]=desc&sort_by[ticket_number]=asc',
  'sort_by[assigned_at]=asc',
  'sort_by[updated_at]=desc&sort_by[finished_at]=asc',
  'sort_by[ticket_number]=desc',
]

describeEachStore(
  'cursor pagination',
  (ctx) => {
    for (const sort of SORTS) {
      it(`walks every ticket exactly once with next cursors (${sort || 'default sort'})`, async () => {
        const all = await listTicketsJson(ctx.store, principal, parseTicketQuery(`${sort}&limit=1000`))
        const expected = (JSON.parse(all.resultJson) as Ticket[]).map((t) => t.id)
        expect(expected).toHaveLength(ticketsOf(PROVIDER_A).length)
        const walked: string[] = []
        let after: string | null = null
        for (let page = 0; page < 100; page++) {
          const query = parseTicketQuery(`${sort}&limit=7${after ? `&after=${after}` : ''}`)
          const result = await listTicketsJson(ctx.store, principal, query)
          walked.push(...(JSON.parse(result.resultJson) as Ticket[]).map((t) => t.id))
          expect(result.total).toBe(expected.length)
          after = result.next
          if (!after) break
        }
        expect(walked).toEqual(expected)
      })
    }

    it('refuses a cursor made for another sort, and one that is not a cursor', async () => {
      const first = await listTicketsJson(ctx.store, principal, parseTicketQuery('limit=2'))
      expect(() => parseTicketQuery(`limit=2&sort_by[created_at]=desc&after=${first.next}`)).toThrow(/different sort_by/)
      expect(() => parseTicketQuery('after=bm90LWEtY3Vyc29y')).toThrow(/not a cursor/)
    })

    it('refuses a forged cursor whose values its columns cannot hold, before the store sees it', async () => {
      const forge = (s: unknown, v: unknown, id: unknown = EDGE_TICKETS[0]!.id) =>
        Buffer.from(JSON.stringify({ s, v, id })).toString('base64url')
      const byNumber = [['ticket_number', 'asc']]
      for (const [sort, after] of [
        ['sort_by[ticket_number]=asc', forge(byNumber, ['9223372036854775808'])],
        ['sort_by[ticket_number]=asc', forge(byNumber, ['-9223372036854775809'])],
        ['sort_by[ticket_number]=asc', forge(byNumber, [7])],
        ['sort_by[ticket_number]=asc', forge(byNumber, [null])],
        ['sort_by[ticket_number]=asc', forge([null], ['1'])],
        ['sort_by[ticket_number]=asc', forge(byNumber, ['1'], 'x')],
        ['', forge([['created_at', 'asc']], ['10000-01-01T00:00:00Z'])],
        ['', forge([['created_at', 'asc']], ['0001-01-01T00:00:00+01:00'])],
        ['', forge([['created_at', 'asc']], [`${'9'.repeat(3000)}`])],
      ] as const)
        expect(() => parseTicketQuery(`${sort}&after=${after}`), after).toThrow(/not a cursor/)
      // The edges of the range are positions like any other.
      for (const edge of ['9223372036854775807', '-9223372036854775808']) {
        const query = parseTicketQuery(`sort_by[ticket_number]=asc&limit=1000&after=${forge(byNumber, [edge])}`)
        const result = await listTicketsJson(ctx.store, principal, query)
        expect(result.rows).toBe(edge.startsWith('-') ? ticketsOf(PROVIDER_A).length : 0)
      }
    })
  },
  seedStore,
)
