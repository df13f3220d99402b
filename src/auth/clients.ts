// Creating API clients: the one place a secret exists in clear, returned once to the caller.
import { PARTNER_SCOPES, SCOPES, type Scope } from '../contract/oauth.js'
import type { ApiClient, ClientStore } from '../store/client-store.js'
import { generateClientId, generateClientSecret, hashSecret } from './secrets.js'

export interface CreatedClient {
  client: ApiClient
  secret: string
}

export async function createApiClient(
  store: ClientStore,
  input: { providerId: string; name: string; scopes?: readonly Scope[] },
): Promise<CreatedClient> {
  const secret = generateClientSecret()
  const client = await store.createClient({
    clientId: generateClientId(),
    providerId: input.providerId,
    name: input.name,
    scopes: SCOPES.filter((s) => (input.scopes ?? PARTNER_SCOPES).includes(s)),
    secretHash: await hashSecret(secret),
  })
  return { client, secret }
}
