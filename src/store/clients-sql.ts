// ClientStore over Kysely. Lookups go through `cache`, which answers from memory only while
// its NOTIFY subscription is live (see client-cache.ts; sql-store.ts subscribes it); until
// then, and without one, every lookup is a query. Writes evict at once: this process stops
// accepting a revoked client now, the others when the NOTIFY reaches them.
import { sql, type Selectable } from 'kysely'
import type { Scope } from '../contract/oauth.js'
import type { ClientCache } from './client-cache.js'
import type { ApiClient, ClientStore, NewApiClient } from './client-store.js'
import type { ApiClientsTable, Db } from './database.js'
import { timestampToRfc3339 } from './ticket-row.js'

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

export function clientsSql(db: Db, cache: ClientCache): ClientStore {
  const loadClient = async (clientId: string): Promise<ApiClient | undefined> => {
    const row = await db.selectFrom('api_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst()
    return row && rowToClient(row)
  }

  return {
    async createClient(client: NewApiClient): Promise<ApiClient> {
      const row = await db
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
    },

    findClient(clientId: string): Promise<ApiClient | undefined> {
      return cache.find(clientId, loadClient)
    },

    async listClients(): Promise<ApiClient[]> {
      const rows = await db.selectFrom('api_clients').selectAll().orderBy('created_at').orderBy('client_id').execute()
      return rows.map(rowToClient)
    },

    async replaceSecretHash(clientId: string, previous: string, next: string): Promise<void> {
      await db
        .updateTable('api_clients')
        .set({ secret_hash: next })
        .where('client_id', '=', clientId)
        .where('secret_hash', '=', previous)
        .execute()
      cache.evict(clientId)
    },

    async revokeClient(clientId: string, now: Date): Promise<boolean> {
      const row = await db
        .updateTable('api_clients')
        .set({ revoked_at: sql<string>`coalesce(revoked_at, ${now.toISOString()}::timestamptz)` })
        .where('client_id', '=', clientId)
        .returning('client_id')
        .executeTakeFirst()
      cache.evict(clientId)
      return row !== undefined
    },
  }
}
