// Access tokens from POST /oauth2/token (client credentials): fetched on first use, cached,
// refreshed a margin before they expire, and fetched by one request however many calls wait.
import { OPERATIONS, type TokenResponse } from './api-types.js'
import { UnexpectedResponseError } from './errors.js'
import { errorOf, type Transport } from './transport.js'

export interface AccessToken {
  accessToken: string
  /** The granted scopes. */
  scopes: string[]
  /** When the server will stop accepting it (by the client's clock). */
  expiresAt: Date
}

interface Cached extends AccessToken {
  refreshAt: number
}

export interface TokenSourceOptions {
  clientId: string
  clientSecret: string
  scope: string | undefined
  /** Refresh this long before expiry (capped at half the token's lifetime). */
  refreshMarginMs: number
}

export class TokenSource {
  #current: Cached | undefined
  #pending: Promise<Cached> | undefined
  /** How many token requests this source has sent (for diagnostics). */
  requests = 0

  constructor(
    private readonly transport: Transport,
    private readonly options: TokenSourceOptions,
  ) {}

  /** A token valid for at least the margin, fetching one if needed. */
  async get(signal?: AbortSignal): Promise<AccessToken> {
    const current = this.#current
    if (current && this.transport.clock().getTime() < current.refreshAt) return current
    // Single flight: every caller waits on the same request. It is not tied to any one
    // caller's signal (others still want it); each caller stops waiting on its own signal.
    this.#pending ??= this.fetchToken().finally(() => {
      this.#pending = undefined
    })
    return waitFor(this.#pending, signal)
  }

  /** Forgets `accessToken` (the server refused it) unless a newer one already replaced it. */
  invalidate(accessToken: string): void {
    if (this.#current?.accessToken === accessToken) this.#current = undefined
  }

  private async fetchToken(): Promise<Cached> {
    this.requests++
    const startedAt = this.transport.clock().getTime()
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
    })
    if (this.options.scope) form.set('scope', this.options.scope)
    const response = await this.transport.send({
      method: 'POST',
      path: OPERATIONS.issueToken.path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      // Asking for a token twice only issues two tokens.
      idempotent: true,
    })
    if (response.status !== 200) throw errorOf(response, this.transport.clock)
    const body = response.body as Partial<TokenResponse> | undefined
    const fault =
      !response.json || typeof body !== 'object' || body === null
        ? 'the body is not a JSON object'
        : typeof body.access_token !== 'string' || body.access_token === ''
          ? 'access_token is missing'
          : typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer'
            ? `token_type is ${JSON.stringify(body.token_type)}, not Bearer`
            : typeof body.expires_in !== 'number' || !(body.expires_in > 0)
              ? 'expires_in is not a positive number'
              : undefined
    if (fault) {
      const requestId = response.headers.get('x-request-id') ?? undefined
      throw new UnexpectedResponseError({ status: response.status, requestId, method: 'POST', url: response.url }, 'TokenResponse', fault)
    }
    const token = body as TokenResponse
    // The lifetime counts from when the request started: the server's clock began before ours ended.
    const lifetimeMs = token.expires_in * 1000
    const margin = Math.min(this.options.refreshMarginMs, lifetimeMs / 2)
    this.#current = {
      accessToken: token.access_token,
      scopes: typeof token.scope === 'string' ? token.scope.split(' ').filter(Boolean) : [],
      expiresAt: new Date(startedAt + lifetimeMs),
      refreshAt: startedAt + lifetimeMs - margin,
    }
    return this.#current
  }
}

function waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
