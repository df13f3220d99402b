// createTicketsClient: the options, their defaults, and the wiring of transport → tokens →
// tickets → processing loop.
import { CancelReasonsResource, OutsourcesResource } from './catalogue.js'
import { InsecureBaseUrlError } from './errors.js'
import { EventsResource } from './events.js'
import { processTickets, type ProcessTicketsOptions, type ProcessTicketsResult } from './process.js'
import { AuthorizedSender, TicketsResource } from './tickets.js'
import type { RateLimitState } from './ratelimit.js'
import { TokenSource, type AccessToken } from './tokens.js'
import { defaultSleep, Transport, type RetryOptions } from './transport.js'

export const CLIENT_VERSION = '0.1.0'

export interface TicketsClientOptions {
  /** Where the API is, e.g. `https://tickets.example.com` (a path prefix is kept). */
  baseUrl: string | URL
  clientId: string
  clientSecret: string
  /**
   * Allow a plain `http:` baseUrl to a host that is not loopback (default false: refused with
   * InsecureBaseUrlError, because the client secret and tokens would travel in clear text).
   * `http://localhost`, `http://127.x.x.x` and `http://[::1]` are always allowed.
   */
  allowInsecureHttp?: boolean
  /** Scopes to request (default: all the client has). */
  scope?: string | readonly string[]
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch
  /** Time limit per attempt, in milliseconds (default 30 000). */
  timeoutMs?: number
  /** Retry budget; a number sets `max` (default 3 retries, 250 ms base, 30 s cap). */
  retries?: number | RetryOptions
  /** Sent as User-Agent where the platform allows it (default `tickets-api-client/<version>`). */
  userAgent?: string
  /** The clock used for token expiry and Retry-After dates (default: the system clock). */
  clock?: () => Date
  /** Refresh a token this long before it expires (default 60 000 ms, at most half its lifetime). */
  tokenRefreshMarginMs?: number
  /** How to wait between retries (for tests; default setTimeout, cancelled by the caller's signal). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Jitter source in [0, 1) (for tests; default Math.random). */
  random?: () => number
}

export interface TicketsClient {
  readonly tickets: TicketsResource
  /** The cancel-reason catalogue: list, get, iterate. */
  readonly cancelReasons: CancelReasonsResource
  /** The tickets your provider outsourced to partners: list (filtered), get, iterate. */
  readonly outsources: OutsourcesResource
  /**
   * Your provider's events feed: `list` (one page), `iterate` (every event until caught up),
   * `follow` (forever, long-polling, surviving restarts).
   */
  readonly events: EventsResource
  /** The integration loop: see ProcessTicketsOptions and the README. */
  processTickets(options: ProcessTicketsOptions): Promise<ProcessTicketsResult>
  /** The current access token (fetched if needed): its scopes and expiry. */
  token(options?: { signal?: AbortSignal }): Promise<AccessToken>
  /**
   * The rate limit as the last response carrying a `RateLimit` field described it (the policy
   * with the least remaining), or undefined before any did. Informational: the client waits on
   * 429s by itself.
   */
  readonly rateLimit: RateLimitState | undefined
}

/** localhost, 127.0.0.0/8 and [::1]: hosts whose traffic never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  // The WHATWG URL parser has already normalised IPv4 (127.1, 0x7f.1 → 127.0.0.1) and IPv6 ([0::1] → [::1]).
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

function baseUrlOf(value: string | URL, allowInsecureHttp: boolean): string {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new TypeError(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(String(value))}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`baseUrl must be http or https, got ${url.protocol}`)
  if (url.search || url.hash) throw new TypeError('baseUrl must not have a query or fragment')
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) throw new InsecureBaseUrlError(url.href)
  return url.href.replace(/\/+$/, '')
}

function retryOf(retries: TicketsClientOptions['retries']): Required<RetryOptions> {
  const given = typeof retries === 'number' ? { max: retries } : (retries ?? {})
  const resolved = { max: given.max ?? 3, baseDelayMs: given.baseDelayMs ?? 250, maxDelayMs: given.maxDelayMs ?? 30_000 }
  for (const [name, value] of Object.entries(resolved))
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`retries.${name} must be a non-negative integer`)
  return resolved
}

export function createTicketsClient(options: TicketsClientOptions): TicketsClient {
  if (!options.clientId || !options.clientSecret) throw new TypeError('clientId and clientSecret are required')
  const fetchImpl = options.fetch ?? globalThis.fetch
  if (typeof fetchImpl !== 'function') throw new TypeError('no fetch: pass options.fetch on platforms without a global fetch')
  const timeoutMs = options.timeoutMs ?? 30_000
  if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be positive')
  const transport = new Transport({
    baseUrl: baseUrlOf(options.baseUrl, options.allowInsecureHttp === true),
    // Called unbound: some platforms' fetch refuses a `this` other than the global object.
    fetch: (input, init) => fetchImpl(input, init),
    timeoutMs,
    retry: retryOf(options.retries),
    userAgent: options.userAgent ?? `tickets-api-client/${CLIENT_VERSION}`,
    clock: options.clock ?? (() => new Date()),
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
  })
  const scope = typeof options.scope === 'string' ? options.scope : options.scope?.join(' ')
  const tokens = new TokenSource(transport, {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scope,
    refreshMarginMs: options.tokenRefreshMarginMs ?? 60_000,
  })
  const sender = new AuthorizedSender(transport, tokens)
  const tickets = new TicketsResource(sender)
  return {
    tickets,
    cancelReasons: new CancelReasonsResource(sender),
    outsources: new OutsourcesResource(sender),
    events: new EventsResource(sender, transport),
    processTickets: (processOptions) => processTickets(tickets, tokens, processOptions),
    token: (tokenOptions = {}) => tokens.get(tokenOptions.signal),
    get rateLimit() {
      return transport.rateLimit
    },
  }
}
