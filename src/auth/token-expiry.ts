// When an access token stops being valid, for connections that outlive a request (live
// streams): they end at that moment and the client reconnects with a fresh token.
import { decodeJwt } from 'jose'

/**
 * The `exp` of a bearer token that authenticate() has already verified, in ms since the epoch;
 * undefined when it cannot be read (never for the tokens this service issues).
 */
export function tokenExpiresAt(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token)
    return typeof exp === 'number' ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1]
}
