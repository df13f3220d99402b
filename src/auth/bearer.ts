// Bearer authentication for /v2: Authorization header → verified token → live client
// → Principal. A revoked client's tokens stop working on the next request.
import type { Scope } from '../contract/oauth.js'
import { AppError } from '../errors/app-error.js'
import type { ClientStore } from '../store/client-store.js'
import { bearerChallenge } from './challenge.js'
import type { TokenService } from './tokens.js'

export interface Principal {
  clientId: string
  providerId: string
  scopes: Scope[]
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

function invalidToken(detail: string): AppError {
  return new AppError('invalid-token', detail, { headers: { 'www-authenticate': bearerChallenge('invalid_token', detail) } })
}

export async function authenticate(
  authorization: string | undefined,
  /** The scope the operation needs; a list when any one of them will do. */
  requiredScope: Scope | readonly Scope[],
  tokens: TokenService,
  store: ClientStore,
): Promise<Principal> {
  if (authorization === undefined || authorization === '')
    throw new AppError('unauthorized', 'This endpoint needs an access token: send "Authorization: Bearer <token>".', {
      headers: { 'www-authenticate': bearerChallenge() },
    })
  const match = BEARER.exec(authorization)
  if (!match) throw invalidToken('The Authorization header must have the form "Bearer <token>".')
  const claims = await tokens.verify(match[1]!)
  const client = await store.findClient(claims.clientId)
  if (!client || client.revokedAt !== null || client.providerId !== claims.providerId)
    throw invalidToken('The client this token was issued to has been revoked.')
  const acceptable: readonly Scope[] = typeof requiredScope === 'string' ? [requiredScope] : requiredScope
  if (!acceptable.some((scope) => claims.scopes.includes(scope))) {
    const detail = `This operation needs the ${acceptable.join(' or ')} scope.`
    throw new AppError('insufficient-scope', detail, {
      headers: { 'www-authenticate': bearerChallenge('insufficient_scope', detail, acceptable.join(' ')) },
    })
  }
  return { clientId: client.clientId, providerId: client.providerId, scopes: claims.scopes.filter((s) => client.scopes.includes(s)) }
}
