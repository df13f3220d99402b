// The store contract: the same assertions against the embedded store and PostgreSQL.
import { expect, it } from 'vitest'
import { parseTicketQuery } from '../../src/domain/ticket-query.js'
import { ImportLineError } from '../../src/domain/import-errors.js'
import type { ImportTicket } from '../../src/store/ticket-transfer.js'
import { rowToTicket, TICKET_COLUMNS } from '../../src/store/ticket-row.js'
import { describeEachStore } from '../support/stores.js'
import { EDGE_TICKETS, PROVIDER_A, PROVIDER_B, SEED, seedStore, ticket, ticketsOf } from '../support/fixtures.js'
import { countTickets, getTicket, listTickets, updateTicket } from '../support/store-queries.js'

const A = { providerId: PROVIDER_A }
const B = { providerId: PROVIDER_B }

async function* once(batch: ImportTicket[]) {
  yield batch
}

describeEachStore(
  'ticket store',
  (ctx) => {
    it('counts each provider’s tickets exactly', async () => {
      const page = await listTickets(ctx.store.db, A, parseTicketQuery('limit=0'))
      expect(page).toEqual({ tickets: [], total: ticketsOf(PROVIDER_A).length })
      expect((await listTickets(ctx.store.db, B, parseTicketQuery(''))).total).toBe(ticketsOf(PROVIDER_B).length)
    })

    it('returns tickets exactly as imported, timestamps in UTC with microseconds kept', async () => {
      for (const expected of EDGE_TICKETS) expect(await getTicket(ctx.store.db, A, expected.id)).toEqual(expected)
    })

    it('never returns another provider’s ticket', async () => {
      expect(await getTicket(ctx.store.db, B, EDGE_TICKETS[0]!.id)).toBeUndefined()
      const outcome = await updateTicket(ctx.store, B, EDGE_TICKETS[0]!.id, { externally_processed: true }, { now: new Date() })
      expect(outcome).toEqual({ status: 'not-found' })
    })

    it('breaks created_at ties by id ascending', async () => {
      const page = await listTickets(
        ctx.store.db,
        A,
        parseTicketQuery('created_after=2024-05-05T05:05:04Z&created_before=2024-05-05T05:05:06Z'),
      )
      expect(page.tickets.map((t) => t.ticket_number)).toEqual([9000001, 9000002, 9000003])
    })

    it('sorts nulls last in both directions', async () => {
      for (const direction of ['asc', 'desc']) {
        const page = await listTickets(ctx.store.db, A, parseTicketQuery(`sort_by[finished_at]=${direction}&limit=1000`))
        const finished = page.tickets.map((t) => t.finished_at)
        const firstNull = finished.indexOf(null)
        expect(firstNull).toBeGreaterThan(0)
        expect(finished.slice(firstNull).every((f) => f === null)).toBe(true)
      }
    })

    it('applies the patch, moves updated_at, and honours a failed precondition seen on the stored document', async () => {
      const now = new Date('2026-01-02T03:04:05.678Z')
      const target = EDGE_TICKETS[1]!
      const before = await ctx.store.getTicketDocument(A, target.id)
      const seen: string[] = []
      const refused = await updateTicket(
        ctx.store,
        A,
        target.id,
        { external_reference: 'nope' },
        { now, precondition: (current) => (seen.push(current), false) },
      )
      expect(seen).toEqual([before])
      expect(refused).toEqual({ status: 'precondition-failed', document: before })
      expect((await getTicket(ctx.store.db, A, target.id))?.external_reference).toBe('')
      const outcome = await updateTicket(ctx.store, A, target.id, { external_reference: 'INV-1', externally_processed: true }, { now })
      expect(outcome).toEqual({
        status: 'updated',
        document: JSON.stringify({
          ...target,
          external_reference: 'INV-1',
          externally_processed: true,
          updated_at: '2026-01-02T03:04:05.678Z',
        }),
      })
      expect(await ctx.store.getTicketDocument(A, target.id)).toBe((outcome as { document: string }).document)
    })

    it('serializes a page in the database byte for byte as JSON.stringify would, with next only when more follow', async () => {
      await updateTicket(
        ctx.store,
        A,
        EDGE_TICKETS[2]!.id,
        { external_reference: 'q"\\\n\t\u0001\u2028é😀' },
        { now: new Date('2026-01-03T00:00:00Z') },
      )
      for (const q of [
        '',
        'limit=1000',
        'sort_by[finished_at]=desc&sort_by[ticket_number]=asc&limit=7',
        'state=closed&limit=3&offset=2',
        'limit=0',
        'offset=1000',
      ]) {
        const query = parseTicketQuery(q)
        const [json, objects] = [await ctx.store.listTicketsJson(A, query), await listTickets(ctx.store.db, A, query)]
        expect(json.resultJson, q).toBe(JSON.stringify(objects.tickets))
        expect(json.total).toBe(objects.total)
        expect(json.rows).toBe(objects.tickets.length)
        const more = query.limit > 0 && Number(query.offset) + query.limit < objects.total
        expect(json.next !== undefined, q).toBe(more)
      }
    })

    it('keeps every stored document equal to its ticket after inserts, updates by import, and patches', async () => {
      const changed = {
        ...SEED[3]!,
        ticket: { ...SEED[3]!.ticket, customer_reference: 'changed by import', updated_at: '2026-02-01T00:00:00.000001Z' },
      }
      expect(await ctx.store.importTickets(once([{ line: 1, ...changed }]))).toEqual({ inserted: 0, updated: 1, unchanged: 0 })
      await updateTicket(ctx.store, A, EDGE_TICKETS[0]!.id, { externally_processed: true }, { now: new Date('2026-03-01T00:00:00.5Z') })
      const rows = await ctx.store.db
        .selectFrom('tickets')
        .select([...TICKET_COLUMNS, 'doc'])
        .execute()
      expect(rows).toHaveLength(SEED.length)
      for (const { doc, ...row } of rows) expect(doc).toBe(JSON.stringify(rowToTicket(row)))
    })

    it('imports idempotently: a second identical import changes nothing', async () => {
      const again = await ctx.store.importTickets(once(SEED.slice(8, 20).map((s, i) => ({ line: i + 1, ...s }))))
      expect(again).toEqual({ inserted: 0, updated: 0, unchanged: 12 })
    })

    it('refuses a whole import when one line conflicts, and names the line', async () => {
      const before = await countTickets(ctx.store.db)
      const fresh = ticket({ id: 'f0000000-0000-4000-8000-000000000001', ticket_number: 123456789 })
      const clash = ticket({ id: 'f0000000-0000-4000-8000-000000000002', ticket_number: EDGE_TICKETS[0]!.ticket_number })
      const attempt = ctx.store.importTickets(
        once([
          { line: 1, providerId: PROVIDER_A, ticket: fresh },
          { line: 2, providerId: PROVIDER_A, ticket: clash },
        ]),
      )
      await expect(attempt).rejects.toThrow(new ImportLineError(2, 'ticket_number', `is already used by ticket ${EDGE_TICKETS[0]!.id}`))
      expect(await countTickets(ctx.store.db)).toBe(before)
      expect(await getTicket(ctx.store.db, A, fresh.id)).toBeUndefined()
    })

    it('refuses to move a ticket to another provider by import', async () => {
      const attempt = ctx.store.importTickets(once([{ line: 1, providerId: PROVIDER_B, ticket: EDGE_TICKETS[2]! }]))
      await expect(attempt).rejects.toThrow('line 1: id: belongs to a ticket of another provider')
    })

    it('refuses duplicate ids within one import', async () => {
      const t = ticket({ id: 'f0000000-0000-4000-8000-000000000003', ticket_number: 123456790 })
      const attempt = ctx.store.importTickets(
        once([
          { line: 1, providerId: PROVIDER_A, ticket: t },
          { line: 2, providerId: PROVIDER_A, ticket: { ...t, ticket_number: 123456791 } },
        ]),
      )
      await expect(attempt).rejects.toThrow('line 2: id: duplicates the ticket on line 1')
    })

    it('exports every ticket with its owner, in batches', async () => {
      const exported = []
      for await (const batch of ctx.store.exportTickets()) exported.push(...batch)
      expect(exported).toHaveLength(SEED.length)
      expect(new Set(exported.map((e) => e.providerId))).toEqual(new Set(SEED.map((s) => s.providerId)))
    })

    it('keeps one signing key per store until a rotation', async () => {
      const first = () => ({ kid: 'primary', secret: 'x'.repeat(43), encrypted: false })
      const keys = await ctx.store.listSigningKeys(first)
      expect(keys).toEqual([
        { kid: 'primary', secret: expect.any(String), encrypted: false, createdAt: expect.any(String), retiresAt: null },
      ])
      expect(await ctx.store.listSigningKeys(() => ({ kid: 'other', secret: 'y'.repeat(43), encrypted: false }))).toEqual(keys)
      expect(keys[0]!.secret.length).toBeGreaterThanOrEqual(32)
    })

    it('creates, finds, lists and revokes clients', async () => {
      const created = await ctx.store.createClient({
        clientId: 'tc_test',
        providerId: PROVIDER_A,
        name: 'n',
        scopes: ['tickets:read'],
        secretHash: 'h',
      })
      expect(created).toMatchObject({ clientId: 'tc_test', scopes: ['tickets:read'], revokedAt: null })
      expect(await ctx.store.findClient('tc_test')).toEqual(created)
      expect(await ctx.store.revokeClient('tc_test', new Date('2026-01-01T00:00:00Z'))).toBe(true)
      expect(await ctx.store.revokeClient('tc_test', new Date('2027-01-01T00:00:00Z'))).toBe(true)
      expect((await ctx.store.findClient('tc_test'))?.revokedAt).toBe('2026-01-01T00:00:00Z')
      expect(await ctx.store.revokeClient('tc_missing', new Date())).toBe(false)
    })
  },
  seedStore,
)
