// Access tokens: HS256 JWTs carrying the client, its provider, the granted scopes and the
// expiry, signed with a key named by `kid` in the header. The keys come from the store (or
// config), so every process accepts every token; see signing-keys.ts for rotation.
import { randomUUID } from 'node:crypto'
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { SCOPES, type Scope } from '../contract/oauth.js'
import { AppError } from '../errors/app-error.js'
import { bearerChallenge } from './challenge.js'
import { Keyring } from './signing-keys.js'

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
  /** The key it was verified with (undefined: the legacy key), checked again on every hit. */
  kid: string | undefined
}

export class TokenService {
  // Keys imported once: handing jose raw bytes would import the key again on every request.
  readonly #keys: Promise<Keyring>
  // Token text → its claims, for tokens whose signature and claims jose has already accepted.
  // Keyed by the whole token, signature included, so a token that differs in any byte is
  // verified afresh; expiry is checked again on every hit. It spares each request an HMAC
  // computed on the thread pool (WebCrypto) and the JSON decoding of the token.
  readonly #verified = new Map<string, Verified>()

  /** `keys`: a keyring, or one secret pinned (as TICKETS_SIGNING_SECRET does). */
  constructor(
    keys: Keyring | string,
    private readonly clock: () => Date,
  ) {
    this.#keys = typeof keys === 'string' ? Keyring.pinned(keys) : Promise.resolve(keys)
  }

  async issue(claims: TokenClaims): Promise<IssuedToken> {
    const now = Math.floor(this.clock().getTime() / 1000)
    const { kid, key } = (await this.#keys).current
    const accessToken = await new SignJWT({ pid: claims.providerId, scope: claims.scopes.join(' ') })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(key)
    return { accessToken, expiresIn: TOKEN_TTL_SECONDS }
  }

  /**
   * Verifies the key (by kid; a kid-less token only against the legacy key), signature,
   * algorithm (HS256 only, so never `none`), issuer, audience and expiry.
   */
  async verify(token: string): Promise<TokenClaims> {
    const keys = await this.#keys
    const now = this.clock()
    const known = this.#verified.get(token)
    if (known) {
      if (now.getTime() < known.expiresAt && (known.kid === undefined ? keys.legacyAccepted(now) : keys.accepts(known.kid, now)))
        return known.claims
      this.#verified.delete(token)
      throw invalidToken(now.getTime() >= known.expiresAt)
    }
    let kid: string | undefined
    try {
      const header = decodeProtectedHeader(token)
      if (header.alg !== 'HS256' || (header.kid !== undefined && typeof header.kid !== 'string')) throw invalidToken(false)
      kid = header.kid
    } catch {
      throw invalidToken(false)
    }
    // Outside the try: a store that cannot be reached is a 503, not a bad token.
    const key = await keys.verificationKey(kid, now)
    if (!key) throw invalidToken(false)
    try {
      const { payload } = await jwtVerify(token, key.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: now,
        requiredClaims: ['sub', 'exp', 'pid', 'scope'],
      })
      const scopes = String(payload.scope)
        .split(' ')
        .filter((s): s is Scope => (SCOPES as readonly string[]).includes(s))
      const claims = { clientId: String(payload.sub), providerId: String(payload.pid), scopes }
      this.#remember(token, { claims, expiresAt: Number(payload.exp) * 1000, kid })
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
