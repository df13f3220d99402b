// The fixed seed most tests share: three providers, every state, and the edge cases the
// list semantics care about (null VINs, equal created_at, unfinished tickets, offsets).
import type { Ticket } from '../../src/contract/ticket.js'
import { generateTickets } from '../../src/demo/generate-tickets.js'
import type { ImportTicket, TicketTransfer } from '../../src/store/ticket-transfer.js'

export const PROVIDER_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
export const PROVIDER_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'
export const PROVIDER_C = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc'
export const CUSTOMER_X = '160c0c4b-9966-4dc1-a916-8407eb10d74e'
export const OPERATOR_Y = 'fa9de6bb-1df8-4ba6-9e6d-1172fbf7e166'

/** A valid closed ticket of provider A; override what the test is about. */
export function ticket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: '497f6eca-6276-4993-bfeb-53cbbbba6f08',
    assigned_at: '2024-03-01T10:05:00Z',
    cancel_reason_id: null,
    connection_id: 'd3547de1-d1f2-4344-b4c2-17169b7526f9',
    created_at: '2024-03-01T10:00:00Z',
    customer_channel_id: 'ea96c632-cea8-4e93-a2a9-b43cdfd2784c',
    customer_connector_id: '38442d12-3ddc-4ea7-815d-16388caccddf',
    customer_id: CUSTOMER_X,
    customer_reference: 'A-123-B',
    external_reference: '',
    externally_processed: false,
    finished_at: '2024-03-01T11:00:00Z',
    operator_channel_id: null,
    operator_id: OPERATOR_Y,
    operator_reference: 'example reference',
    outsourced: false,
    source_provider_id: PROVIDER_A,
    state: 'closed',
    ticket_number: 7440303,
    updated_at: '2024-03-01T11:00:00Z',
    vehicle_model_id: 42,
    vin: 'JH4KA7630PC007649',
    voucher_code: 'WQ4MM3',
    ...overrides,
  }
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

/** Hand-made tickets of provider A that pin down edge cases. */
export const EDGE_TICKETS: Ticket[] = [
  // Same created_at: the id tie-breaker decides their order.
  ticket({
    id: id(3),
    ticket_number: 9000003,
    created_at: '2024-05-05T05:05:05Z',
    updated_at: '2024-05-05T06:00:00Z',
    finished_at: '2024-05-05T06:00:00Z',
  }),
  ticket({
    id: id(1),
    ticket_number: 9000001,
    created_at: '2024-05-05T05:05:05Z',
    updated_at: '2024-05-05T06:00:00Z',
    finished_at: '2024-05-05T06:00:00Z',
  }),
  ticket({
    id: id(2),
    ticket_number: 9000002,
    created_at: '2024-05-05T05:05:05Z',
    updated_at: '2024-05-05T06:00:00Z',
    finished_at: '2024-05-05T06:00:00Z',
  }),
  // Prepared without VIN, never assigned or finished: nulls for the null-ordering rules.
  ticket({
    id: id(4),
    ticket_number: 9000004,
    state: 'prepared',
    vin: null,
    assigned_at: null,
    finished_at: null,
    operator_id: null,
    customer_channel_id: null,
    connection_id: null,
    created_at: '2024-06-01T00:00:00Z',
    updated_at: '2024-06-01T00:00:00Z',
    voucher_code: null,
  }),
  // Microsecond precision, processed, with an external reference.
  ticket({
    id: id(5),
    ticket_number: 9000005,
    created_at: '2024-07-01T12:00:00.123456Z',
    updated_at: '2024-07-02T12:00:00.5Z',
    finished_at: '2024-07-02T12:00:00.5Z',
    externally_processed: true,
    external_reference: 'ERP-5',
    voucher_code: 'ZZZ1',
  }),
  // Cancelled without an operator (auto-cancelled).
  ticket({
    id: id(6),
    ticket_number: 9000006,
    state: 'cancelled',
    cancel_reason_id: 7,
    operator_id: null,
    assigned_at: null,
    created_at: '2024-08-01T00:00:00Z',
    updated_at: '2024-08-01T01:00:00Z',
    finished_at: '2024-08-01T01:00:00Z',
  }),
  // In progress: assigned, not finished.
  ticket({
    id: id(7),
    ticket_number: 9000007,
    state: 'in_progress',
    finished_at: null,
    created_at: '2024-09-01T00:00:00Z',
    assigned_at: '2024-09-01T00:10:00Z',
    updated_at: '2024-09-01T00:10:00Z',
    customer_id: null,
  }),
  // Outsourced, insourced from B.
  ticket({
    id: id(8),
    ticket_number: 9000008,
    state: 'outsourced',
    outsourced: true,
    finished_at: null,
    operator_id: null,
    assigned_at: null,
    source_provider_id: PROVIDER_B,
    created_at: '2024-10-01T00:00:00Z',
    updated_at: '2024-10-01T00:00:00Z',
  }),
]

/** Every ticket of the seed, with its owner. */
export const SEED: Array<{ providerId: string; ticket: Ticket }> = [
  ...EDGE_TICKETS.map((t) => ({ providerId: PROVIDER_A, ticket: t })),
  ...[...generateTickets({ count: 30, seed: 11, providerId: PROVIDER_A, firstTicketNumber: 1000, customers: 3 })].map((t) => ({
    providerId: PROVIDER_A,
    ticket: t,
  })),
  ...[...generateTickets({ count: 8, seed: 22, providerId: PROVIDER_B, firstTicketNumber: 2000, customers: 2 })].map((t) => ({
    providerId: PROVIDER_B,
    ticket: t,
  })),
  ...[...generateTickets({ count: 2, seed: 33, providerId: PROVIDER_C, firstTicketNumber: 3000 })].map((t) => ({
    providerId: PROVIDER_C,
    ticket: t,
  })),
]

export const ticketsOf = (providerId: string) => SEED.filter((s) => s.providerId === providerId).map((s) => s.ticket)

export async function importAll(store: TicketTransfer, entries: Array<{ providerId: string; ticket: Ticket }>): Promise<void> {
  const batch: ImportTicket[] = entries.map((entry, i) => ({ line: i + 1, ...entry }))
  async function* batches() {
    yield batch
  }
  await store.importTickets(batches())
}

export const seedStore = (store: TicketTransfer) => importAll(store, SEED)
