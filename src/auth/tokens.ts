// Access tokens: HS256 JWTs carrying the client, its provider, the granted scopes and the
// expiry. The key comes from the store (or config), so every process accepts every token.
import { randomUUID, webcrypto } from 'node:crypto'
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { SCOPES, type Scope } from '../contract/oauth.js'
import { AppError } from '../errors/app-error.js'
import { bearerChallenge } from './challenge.js'

export const TOKEN_TTL_SECONDS = 3600
const ISSUER = 'tickets-api'
const AUDIENCE = 'tickets-api'

export interface TokenClaims {
  clientId: string
  providerId: string
  scopes: Scope[]
}

export interface IssuedToken {
  accessToken: string
  expiresIn: number
}

/** Verified tokens remembered per process; a partner reuses one token for its whole hour. */
const VERIFIED_CACHE_SIZE = 10_000

interface Verified {
  claims: TokenClaims
  /** exp, in ms since the epoch. */
  expiresAt: number
}

export class TokenService {
  // Imported once: handing jose raw bytes would import the key again on every request.
  readonly #key: Promise<webcrypto.CryptoKey>
  // Token text → its claims, for tokens whose signature and claims jose has already accepted.
  // Keyed by the whole token, signature included, so a token that differs in any byte is
  // verified afresh; expiry is checked again on every hit. It spares each request an HMAC
  // computed on the thread pool (WebCrypto) and the JSON decoding of the token.
  readonly #verified = new Map<string, Verified>()

  constructor(
    secret: string,
    private readonly clock: () => Date,
  ) {
    this.#key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
  }

  async issue(claims: TokenClaims): Promise<IssuedToken> {
    const now = Math.floor(this.clock().getTime() / 1000)
    const accessToken = await new SignJWT({ pid: claims.providerId, scope: claims.scopes.join(' ') })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(await this.#key)
    return { accessToken, expiresIn: TOKEN_TTL_SECONDS }
  }

  /** Verifies signature, algorithm (HS256 only, so never `none`), issuer, audience and expiry. */
  async verify(token: string): Promise<TokenClaims> {
    const known = this.#verified.get(token)
    if (known) {
      if (this.clock().getTime() < known.expiresAt) return known.claims
      this.#verified.delete(token)
      throw invalidToken(true)
    }
    try {
      const { payload } = await jwtVerify(token, await this.#key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: this.clock(),
        requiredClaims: ['sub', 'exp', 'pid', 'scope'],
      })
      const scopes = String(payload.scope).split(' ').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s))
      const claims = { clientId: String(payload.sub), providerId: String(payload.pid), scopes }
      this.#remember(token, { claims, expiresAt: Number(payload.exp) * 1000 })
      return claims
    } catch (error) {
      throw invalidToken(error instanceof joseErrors.JWTExpired)
    }
  }

  #remember(token: string, verified: Verified): void {
    // Maps iterate in insertion order: when full, the oldest entry goes.
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value!)
    this.#verified.set(token, verified)
  }
}

function invalidToken(expired: boolean): AppError {
  const detail = expired ? 'The access token has expired.' : 'The access token is malformed or its signature is invalid.'
  return new AppError('invalid-token', detail, { headers: { 'www-authenticate': bearerChallenge('invalid_token', detail) } })
}
