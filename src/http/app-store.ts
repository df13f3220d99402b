// What the HTTP API needs of the store, and nothing more: ticket reads and the PATCH write,
// API clients (token requests and bearer checks), and the readiness probe.
import type { ClientStore } from '../store/client-store.js'
import type { StoreHealth } from '../store/store-health.js'
import type { TicketReads } from '../store/ticket-reads.js'
import type { TicketWrites } from '../store/ticket-writes.js'

export type AppStore = TicketReads & TicketWrites & ClientStore & StoreHealth
