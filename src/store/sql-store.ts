// TicketStore over Kysely. The same class serves PostgreSQL and the embedded PGlite store:
// they differ only in the pool they were opened with (see open-store.ts).
import { sql } from 'kysely'
import type { Scope } from '../contract/oauth.js'
import type { Ticket } from '../contract/ticket.js'
import type { TicketPatch } from '../contract/ticket-patch.js'
import type { TicketQuery } from '../domain/ticket-query.js'
import type { Selectable } from 'kysely'
import type { ApiClientsTable, Db } from './database.js'
import { importTickets } from './import-sql.js'
import { ClientCache } from './client-cache.js'
import { countTickets, totalExpression } from './count-sql.js'
import type { Pool, PoolStats } from './drivers/pool.js'
import { CLIENT_CHANNEL } from './migrations/0003-client-notifications.js'
import { buildPageDocsQuery } from './list-sql.js'
import type { NewSigningKey, SigningKeyStore, StoredSigningKey } from './signing-key-store.js'
import { listSigningKeys, rotateSigningKey } from './signing-keys-sql.js'
import { updateTicketRow } from './update-sql.js'
import type {
  ApiClient,
  ExportedTicket,
  ImportResult,
  ImportTicket,
  NewApiClient,
  ProviderScope,
  TicketPageJson,
  TicketStore,
  UpdateOutcome,
} from './store.js'
import { cursorPosition, rowToTicket, TICKET_COLUMNS, timestampToRfc3339 } from './ticket-row.js'

const EXPORT_BATCH = 2_000

function rowToClient(row: Selectable<ApiClientsTable>): ApiClient {
  return {
    clientId: row.client_id,
    providerId: row.provider_id,
    name: row.name,
    scopes: row.scopes as Scope[],
    secretHash: row.secret_hash,
    createdAt: timestampToRfc3339(row.created_at),
    revokedAt: row.revoked_at === null ? null : timestampToRfc3339(row.revoked_at),
  }
}

export interface SqlStoreOptions {
  /** How long an import waits for a lock (default lock-timeout.ts's LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number
  /** How long a cached API client is trusted without a query (default client-cache.ts's 30 s). */
  clientCacheTtlMs?: number
}

export class SqlStore implements TicketStore, SigningKeyStore {
  #clients: ClientCache | undefined
  #unlisten: (() => Promise<void>) | undefined

  /** How busy the connection pool is, where the driver can tell (PostgreSQL), for metrics. */
  poolStats?: () => PoolStats

  constructor(
    readonly kind: 'postgres' | 'embedded',
    readonly db: Db,
    private readonly onClose: () => Promise<void>,
    /** PGlite has no autovacuum: without a VACUUM after bulk writes, counts stay slow. */
    private readonly vacuumAfterImport: boolean,
    private readonly options: SqlStoreOptions = {},
  ) {}

  async listTicketsJson(scope: ProviderScope, query: TicketQuery): Promise<TicketPageJson> {
    const total = totalExpression(this.db, scope, query)
    const rows = query.limit === 0 ? [] : await buildPageDocsQuery(this.db, scope, query, total).execute()
    // An empty page carries no total: past the end (or limit=0) it is counted on its own.
    if (rows.length === 0) return { resultJson: '[]', total: await countTickets(this.db, scope, query), rows: 0 }
    const more = rows.length > query.limit
    const page = more ? rows.slice(0, query.limit) : rows
    return {
      resultJson: `[${page.map((row) => row.doc).join(',')}]`,
      total: Number(rows[0]!.total),
      rows: page.length,
      ...(more ? { next: cursorPosition(page.at(-1)!.doc, query) } : {}),
    }
  }

  async getTicketDocument(scope: ProviderScope, id: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('tickets').select('doc').where('id', '=', id).where('provider_id', '=', scope.providerId).executeTakeFirst()
    return row?.doc
  }

  async updateTicket(
    scope: ProviderScope,
    id: string,
    patch: TicketPatch,
    options: { now: Date; precondition?: (current: Ticket) => boolean },
  ): Promise<UpdateOutcome> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('tickets')
        .select(TICKET_COLUMNS)
        .where('id', '=', id)
        .where('provider_id', '=', scope.providerId)
        .forUpdate()
        .executeTakeFirst()
      if (!row) return { status: 'not-found' } as const
      const current = rowToTicket(row)
      if (options.precondition && !options.precondition(current)) return { status: 'precondition-failed', ticket: current } as const
      const updated = await updateTicketRow(trx, scope.providerId, id, patch, options.now)
      // Unreachable while the row is locked above; kept so that the guard can never be silent.
      if (!updated) return { status: 'not-found' } as const
      return { status: 'updated', ticket: rowToTicket(updated) } as const
    })
  }

  async importTickets(batches: AsyncIterable<ImportTicket[]>, onProgress?: (lines: number) => void): Promise<ImportResult> {
    const result = await this.db.transaction().execute((trx) => importTickets(trx, batches, onProgress, this.options.lockTimeoutMs))
    if (this.vacuumAfterImport) await sql`VACUUM ANALYZE tickets`.execute(this.db)
    else await sql`ANALYZE tickets`.execute(this.db)
    return result
  }

  async *exportTickets(providerId?: string): AsyncIterable<ExportedTicket[]> {
    let after = '00000000-0000-0000-0000-000000000000'
    let first = true
    for (;;) {
      let query = this.db
        .selectFrom('tickets')
        .select([...TICKET_COLUMNS, 'provider_id'])
        .orderBy('id')
        .limit(EXPORT_BATCH)
      if (!first) query = query.where('id', '>', after)
      if (providerId) query = query.where('provider_id', '=', providerId)
      const rows = await query.execute()
      if (rows.length === 0) return
      yield rows.map(({ provider_id, ...row }) => ({ providerId: provider_id, ticket: rowToTicket(row) }))
      after = rows.at(-1)!.id
      first = false
      if (rows.length < EXPORT_BATCH) return
    }
  }

  async createClient(client: NewApiClient): Promise<ApiClient> {
    const row = await this.db
      .insertInto('api_clients')
      .values({
        client_id: client.clientId,
        provider_id: client.providerId,
        name: client.name,
        secret_hash: client.secretHash,
        scopes: client.scopes,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    return rowToClient(row)
  }

  /**
   * Serve client lookups from memory while a NOTIFY subscription on the pool keeps the cache
   * exact (see client-cache.ts). Without one (a remote embedded session) nothing changes.
   */
  async cacheClients(pool: Pool): Promise<void> {
    if (!pool.listen || this.#clients) return
    const cache = new ClientCache(this.options.clientCacheTtlMs !== undefined ? { ttlMs: this.options.clientCacheTtlMs } : {})
    this.#clients = cache
    this.#unlisten = await pool.listen(CLIENT_CHANNEL, {
      onNotify: (clientId) => cache.evict(clientId),
      onSubscribed: () => cache.subscribed(),
      onLost: () => cache.lost(),
    })
  }

  async findClient(clientId: string): Promise<ApiClient | undefined> {
    return this.#clients ? this.#clients.find(clientId, (id) => this.#loadClient(id)) : this.#loadClient(clientId)
  }

  async #loadClient(clientId: string): Promise<ApiClient | undefined> {
    const row = await this.db.selectFrom('api_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst()
    return row && rowToClient(row)
  }

  async listClients(): Promise<ApiClient[]> {
    const rows = await this.db.selectFrom('api_clients').selectAll().orderBy('created_at').orderBy('client_id').execute()
    return rows.map(rowToClient)
  }

  async replaceSecretHash(clientId: string, previous: string, next: string): Promise<void> {
    await this.db
      .updateTable('api_clients')
      .set({ secret_hash: next })
      .where('client_id', '=', clientId)
      .where('secret_hash', '=', previous)
      .execute()
    this.#clients?.evict(clientId)
  }

  async revokeClient(clientId: string, now: Date): Promise<boolean> {
    const row = await this.db
      .updateTable('api_clients')
      .set({ revoked_at: sql<string>`coalesce(revoked_at, ${now.toISOString()}::timestamptz)` })
      .where('client_id', '=', clientId)
      .returning('client_id')
      .executeTakeFirst()
    // This process stops accepting the client now; the others when the NOTIFY reaches them.
    this.#clients?.evict(clientId)
    return row !== undefined
  }

  listSigningKeys(first?: () => NewSigningKey): Promise<StoredSigningKey[]> {
    return listSigningKeys(this.db, first)
  }

  rotateSigningKey(key: NewSigningKey, options: { now: Date; retiresAt: Date }): Promise<{ previous: string | undefined; pruned: string[] }> {
    return rotateSigningKey(this.db, key, options)
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db)
  }

  async close(): Promise<void> {
    await this.#unlisten?.()
    await this.db.destroy()
    await this.onClose()
  }
}
