// One HTTP exchange with retries: a per-attempt timeout combined with the caller's signal,
// exponential backoff with full jitter, Retry-After honoured. Knows nothing about tokens or
// tickets; turns what came back into a parsed body or a typed error.
import type { Problem } from './api-types.js'
import { TicketsApiError, TicketsNetworkError, TicketsRedirectError } from './errors.js'
import { rateLimitStateOf, rateLimitWaitMs, type RateLimitState } from './ratelimit.js'

export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0 disables retrying). */
  max?: number
  /** The first backoff ceiling; each retry doubles it (default 250 ms). */
  baseDelayMs?: number
  /**
   * The longest wait between attempts (default 30 s). A Retry-After (or a RateLimit reset)
   * asking for longer is not waited for: the error is thrown, carrying `retryAfterMs`.
   */
  maxDelayMs?: number
}

export interface TransportOptions {
  baseUrl: string
  fetch: typeof fetch
  timeoutMs: number
  retry: Required<RetryOptions>
  userAgent: string | undefined
  clock: () => Date
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  random: () => number
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH'
  /** Path and query, e.g. `/v2/tickets/tickets?state=closed`. */
  path: string
  headers?: Record<string, string>
  body?: string
  signal?: AbortSignal | undefined
  /**
   * How long the server was asked to hold this request (a long poll's `wait`), in milliseconds:
   * added to the per-attempt time limit, so that a request held on purpose does not time out.
   */
  heldMs?: number
  /**
   * Whether sending the request twice is harmless, so that it may be retried. Default: true for
   * GET and PATCH (a ticket patch sets absolute values), and for a POST only when it carries an
   * Idempotency-Key (the server answers a repeat with the first answer instead of acting twice).
   */
  idempotent?: boolean
}

export interface HttpResponse {
  method: string
  url: string
  status: number
  headers: Headers
  /** The parsed JSON body, or the text when the body is not JSON. */
  body: unknown
  json: boolean
  /** How many attempts it took (1 when the first answer was final). */
  attempts: number
}

/** The statuses worth another attempt: the server or something in front of it is overloaded or restarting. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504])

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now.getTime())
}

/**
 * How long the response asks the client to wait, in milliseconds: Retry-After when it has a
 * valid one, otherwise the RateLimit field's reset (`t`) of a policy with nothing left (`r=0`).
 */
export function serverWaitMs(headers: Headers, now: Date): number | undefined {
  return parseRetryAfter(headers.get('retry-after'), now) ?? rateLimitWaitMs(headers)
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** AbortSignal.any where it exists (Node 20.3+, current browsers), a small stand-in elsewhere. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const any = (AbortSignal as { any?: (signals: AbortSignal[]) => AbortSignal }).any
  if (any) return any.call(AbortSignal, signals)
  const controller = new AbortController()
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason)
      break
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true })
  }
  return controller.signal
}

const isTimeout = (error: unknown) => error instanceof Error && error.name === 'TimeoutError'
// fetch rejects with a TypeError when no response arrived (refused, reset, DNS, TLS).
const isNetworkFailure = (error: unknown) => error instanceof TypeError || isTimeout(error)

/** A POST without an Idempotency-Key may have acted before its answer was lost: never sent twice. */
function isIdempotent(method: HttpRequest['method'], headers: Record<string, string>): boolean {
  if (method !== 'POST') return true
  return Object.keys(headers).some((name) => name.toLowerCase() === 'idempotency-key')
}

export class Transport {
  #rateLimit: RateLimitState | undefined

  constructor(private readonly options: TransportOptions) {}

  /** The rate-limit state of the last response that carried a RateLimit field. */
  get rateLimit(): RateLimitState | undefined {
    return this.#rateLimit
  }

  get clock(): () => Date {
    return this.options.clock
  }

  /** Sends the request, retrying what is safe to retry; resolves with whatever status came last. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const { retry } = this.options
    const timeoutMs = this.options.timeoutMs + (request.heldMs ?? 0)
    const url = this.options.baseUrl + request.path
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...request.headers }
    if (this.options.userAgent) headers['user-agent'] = this.options.userAgent
    const retryable = request.idempotent ?? isIdempotent(request.method, headers)
    for (let attempt = 1; ; attempt++) {
      const retriesLeft = attempt <= retry.max && retryable
      const signals = [AbortSignal.timeout(timeoutMs)]
      if (request.signal) signals.push(request.signal)
      let response: HttpResponse
      let redirected = false
      try {
        const answer = await this.options.fetch(url, {
          method: request.method,
          headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          // Never follow a redirect: it would carry the Authorization header or the client secret
          // to wherever Location points. A 3xx comes back as it is (Node) or as an opaque
          // redirect (browsers), and becomes a TicketsRedirectError below.
          redirect: 'manual',
          signal: anySignal(signals),
        })
        const text = await answer.text()
        const json = /[/+]json\b/i.test(answer.headers.get('content-type') ?? '')
        let body: unknown = text
        if (json && text !== '')
          try {
            body = JSON.parse(text)
          } catch {
            body = text
          }
        response = {
          method: request.method,
          url,
          status: answer.status,
          headers: answer.headers,
          body,
          json: json && body !== text,
          attempts: attempt,
        }
        if (answer.type === 'opaqueredirect' || (answer.status >= 300 && answer.status < 400 && answer.status !== 304)) redirected = true
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason
        if (!isNetworkFailure(error)) throw error
        if (!retriesLeft)
          throw new TicketsNetworkError({ method: request.method, url, attempts: attempt, timedOut: isTimeout(error), cause: error })
        await this.options.sleep(this.backoff(attempt), request.signal)
        continue
      }
      const now = this.options.clock()
      this.#rateLimit = rateLimitStateOf(response.headers, now) ?? this.#rateLimit
      if (redirected) throw redirectError(response)
      if (!RETRYABLE_STATUSES.has(response.status) || !retriesLeft) return response
      // The server's own wait wins over backoff. One longer than maxDelayMs (a hostile or broken
      // header asking for hours) is not slept on: the answer goes back, and becomes the error.
      const asked = serverWaitMs(response.headers, now)
      if (asked !== undefined && asked > retry.maxDelayMs) return response
      await this.options.sleep(asked ?? this.backoff(attempt), request.signal)
    }
  }

  /** Waits `ms` (the client's `sleep`), rejecting with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.options.sleep(ms, signal)
  }

  /** Full jitter: a uniform wait between 0 and base·2^(attempt-1), capped at maxDelayMs. */
  backoff(attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.options.retry
    return Math.floor(this.options.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)))
  }
}

/** The typed error for a non-2xx response, whether or not its body is a problem document. */
export function errorOf(response: HttpResponse, clock: () => Date): TicketsApiError {
  const init = {
    status: response.status,
    requestId: response.headers.get('x-request-id') ?? undefined,
    method: response.method,
    url: response.url,
    retryAfterMs: serverWaitMs(response.headers, clock()),
  }
  return new TicketsApiError({ ...init, problem: problemOf(response) })
}

function redirectError(response: HttpResponse): TicketsRedirectError {
  const location = response.headers.get('location') ?? undefined
  let absolute = location
  if (location !== undefined)
    try {
      absolute = new URL(location, response.url).href
    } catch {
      // Not a URL: quote it as it came.
    }
  const requestId = response.headers.get('x-request-id') ?? undefined
  return new TicketsRedirectError({ status: response.status, requestId, method: response.method, url: response.url }, absolute)
}

function problemOf(response: HttpResponse): Problem {
  const body = response.body
  if (response.json && typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const b = body as Record<string, unknown>
    if (typeof b.code === 'string' && typeof b.detail === 'string')
      return {
        type: typeof b.type === 'string' ? b.type : 'about:blank',
        title: typeof b.title === 'string' ? b.title : '',
        status: typeof b.status === 'number' ? b.status : response.status,
        detail: b.detail,
        code: b.code,
        ...(Array.isArray(b.errors) ? { errors: b.errors as Problem['errors'] } : {}),
        ...(typeof b.error === 'string' ? { error: b.error } : {}),
        ...(typeof b.state === 'string' ? { state: b.state } : {}),
        ...(Array.isArray(b.allowed_actions)
          ? { allowed_actions: b.allowed_actions.filter((a): a is string => typeof a === 'string') }
          : {}),
      }
  }
  const type = response.headers.get('content-type') ?? 'no content type'
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 200)
  return {
    type: 'about:blank',
    title: `HTTP ${response.status}`,
    status: response.status,
    detail: `The response was not a problem document (${type})${excerpt ? `: ${excerpt}` : ', and its body was empty'}.`,
    code: 'unexpected-response',
  }
}
