// The client-credentials grant (RFC 6749 §4.4): authenticate the client, settle the scopes,
// issue a token. Errors carry the RFC 6749 §5.2 `error` code alongside the problem slug.
import { SCOPES, type Scope, type TokenResponse } from '../contract/oauth.js'
import { AppError } from '../errors/app-error.js'
import type { ErrorSlug } from '../errors/catalog.js'
import type { ClientStore } from '../store/client-store.js'
import { REALM } from './challenge.js'
import { hashSecret, needsRehash, verifyAgainstDummy, verifySecret } from './secrets.js'
import type { TokenService } from './tokens.js'

export interface TokenRequest {
  grantType: string | undefined
  clientId: string | undefined
  clientSecret: string | undefined
  scope: string | undefined
}

type OAuthError = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope'
const SLUGS: Record<OAuthError, ErrorSlug> = {
  invalid_request: 'invalid-request',
  invalid_client: 'invalid-client',
  unsupported_grant_type: 'unsupported-grant-type',
  invalid_scope: 'invalid-scope',
}

export function oauthError(error: OAuthError, detail: string, name?: string): AppError {
  return new AppError(SLUGS[error], detail, {
    members: { error },
    // RFC 6749 §5.2: a 401 for client authentication carries a challenge for the scheme.
    ...(error === 'invalid_client' ? { headers: { 'www-authenticate': `Basic realm="${REALM}"` } } : {}),
    ...(name ? { errors: [{ in: 'body', name, detail }] } : {}),
  })
}

function requestedScopes(scope: string | undefined, granted: readonly Scope[]): Scope[] {
  if (scope === undefined || scope.trim() === '') return [...granted]
  const wanted = [...new Set(scope.split(' ').filter(Boolean))]
  for (const name of wanted) {
    if (!(SCOPES as readonly string[]).includes(name))
      throw oauthError('invalid_scope', `Unknown scope "${name}"; scopes are ${SCOPES.join(', ')}.`, 'scope')
    // Never grant less than asked silently: a missing scope is an error the caller can see.
    if (!granted.includes(name as Scope)) throw oauthError('invalid_scope', `This client may not request the scope "${name}".`, 'scope')
  }
  return SCOPES.filter((s) => wanted.includes(s))
}

export async function issueToken(request: TokenRequest, store: ClientStore, tokens: TokenService): Promise<TokenResponse> {
  if (request.grantType === undefined || request.grantType === '')
    throw oauthError('invalid_request', 'grant_type is required (use client_credentials).', 'grant_type')
  if (request.grantType !== 'client_credentials')
    throw oauthError('unsupported_grant_type', `Unsupported grant_type "${request.grantType}"; use client_credentials.`, 'grant_type')
  if (!request.clientId || request.clientSecret === undefined)
    throw oauthError('invalid_client', 'Client authentication is required: send client_id and client_secret, or HTTP Basic.')
  // No stored id can contain NUL (PostgreSQL text cannot), so such a client cannot exist.
  if (request.clientId.includes('\u0000'))
    throw oauthError('invalid_client', 'Unknown client, wrong secret, or the client has been revoked.')
  const client = await store.findClient(request.clientId)
  const valid = client ? await verifySecret(request.clientSecret, client.secretHash) : await verifyAgainstDummy(request.clientSecret)
  if (!client || !valid || client.revokedAt !== null)
    throw oauthError('invalid_client', 'Unknown client, wrong secret, or the client has been revoked.')
  // A hash from an earlier version (scrypt) is replaced once the secret is known good, so the
  // client's next token requests take the fast path. Losing that race to a revocation or to
  // another process is harmless: the swap only applies over the exact hash it read.
  if (needsRehash(client.secretHash))
    await store.replaceSecretHash(client.clientId, client.secretHash, await hashSecret(request.clientSecret))
  const scopes = requestedScopes(request.scope, client.scopes)
  const issued = await tokens.issue({ clientId: client.clientId, providerId: client.providerId, scopes })
  return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: scopes.join(' ') }
}
