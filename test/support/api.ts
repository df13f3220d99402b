// Building the app over a test store and getting tokens the way a partner would.
import type { FastifyInstance } from 'fastify'
import { createApiClient } from '../../src/auth/clients.js'
import type { Scope } from '../../src/contract/oauth.js'
import { buildApp, type AppOptions } from '../../src/http/app.js'
import type { AppStore } from '../../src/http/app-store.js'
import type { ClientStore } from '../../src/store/client-store.js'

export async function createTestApp(store: AppStore, options: Partial<AppOptions> = {}): Promise<FastifyInstance> {
  return buildApp({ store, ...options })
}

export async function createClient(store: ClientStore, providerId: string, scopes?: Scope[]) {
  const { client, secret } = await createApiClient(store, { providerId, name: 'test', ...(scopes ? { scopes } : {}) })
  return { clientId: client.clientId, secret }
}

export async function requestToken(app: FastifyInstance, clientId: string, secret: string, scope?: string) {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret })
  if (scope !== undefined) form.set('scope', scope)
  return app.inject({
    method: 'POST',
    url: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form.toString(),
  })
}

/** A bearer token for a new client of `providerId`. */
export async function tokenFor(app: FastifyInstance, store: ClientStore, providerId: string, scopes?: Scope[]): Promise<string> {
  const { clientId, secret } = await createClient(store, providerId, scopes)
  const response = await requestToken(app, clientId, secret)
  if (response.statusCode !== 200) throw new Error(`token request failed: ${response.body}`)
  return (JSON.parse(response.body) as { access_token: string }).access_token
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
