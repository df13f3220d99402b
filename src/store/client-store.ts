// API clients as stored: the credentials partner systems exchange for tokens.
import type { Scope } from '../contract/oauth.js'

export interface ApiClient {
  clientId: string
  providerId: string
  name: string
  scopes: Scope[]
  secretHash: string
  createdAt: string
  revokedAt: string | null
}

export interface NewApiClient {
  clientId: string
  providerId: string
  name: string
  scopes: Scope[]
  secretHash: string
}

export interface ClientStore {
  createClient(client: NewApiClient): Promise<ApiClient>
  findClient(clientId: string): Promise<ApiClient | undefined>
  listClients(): Promise<ApiClient[]>
  /** Swaps the client's secret hash for an equivalent one, only if it still is `previous`. */
  replaceSecretHash(clientId: string, previous: string, next: string): Promise<void>
  /** Returns false when no such client exists. Revoking twice keeps the first time. */
  revokeClient(clientId: string, now: Date): Promise<boolean>
}
