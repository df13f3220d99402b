// The whole store, as the composition root (src/cli/serve.ts, open-store.ts) holds it: one
// small interface per resource, each in its own file, over one database. Everything else
// depends only on the interfaces it uses. Both stores (PostgreSQL and embedded PGlite) are
// this one composition with the same SQL; the shared contract suite proves they agree.
import type { ClientStore } from './client-store.js'
import type { Db } from './database.js'
import type { PoolStats } from './drivers/pool.js'
import type { SigningKeyStore } from './signing-key-store.js'
import type { StoreHealth } from './store-health.js'
import type { TicketReads } from './ticket-reads.js'
import type { TicketTransfer } from './ticket-transfer.js'
import type { CancelReasonStore, OutsourceStore, PartnershipStore, TicketHistoryStore } from './lifecycle-reads.js'
import type { LedgerStore } from './ticket-ledger.js'
import type { StateViewStore } from './state-views.js'
import type { EventFeedStore } from './event-feed.js'
import type { WebhookDeliveryStore, WebhookEndpointStore } from './webhook-store.js'
import type { FeedEndStore } from './feed-end.js'

export interface Store
  extends
    TicketReads,
    StateViewStore,
    LedgerStore,
    CancelReasonStore,
    OutsourceStore,
    PartnershipStore,
    TicketHistoryStore,
    EventFeedStore,
    FeedEndStore,
    TicketTransfer,
    ClientStore,
    SigningKeyStore,
    WebhookEndpointStore,
    WebhookDeliveryStore,
    StoreHealth {
  /** The handle every resource module runs on; migrations (and tests' own queries) use it too. */
  readonly db: Db
  /** How busy the connection pool is, where the driver can tell (PostgreSQL), for metrics. */
  readonly poolStats?: () => PoolStats
  close(): Promise<void>
}
