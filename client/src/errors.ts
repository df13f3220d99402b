// The client's errors. Every answer of the API that is not a success becomes a TicketsApiError
// (a 404 included: a wrong path or an invisible ticket is never "no data"); a success whose body
// is not the documented shape is an UnexpectedResponseError; a request that never got an answer
// is a TicketsNetworkError.
import type { TicketAction } from './actions.js'
import type { Problem, ProblemError, TicketState } from './api-types.js'

export interface ApiErrorInit {
  status: number
  problem: Problem
  requestId: string | undefined
  method: string
  url: string
  /**
   * How long the response asked to wait, in milliseconds, if it said: its Retry-After, or else
   * the reset (`t`) of an exhausted policy (`r=0`) in its RateLimit field.
   */
  retryAfterMs?: number | undefined
}

/** The API answered with an error status (or with a body that is not what it documents). */
export class TicketsApiError extends Error {
  override name = 'TicketsApiError'
  readonly status: number
  /**
   * The RFC 9457 problem document. When the body was not one (a proxy's HTML page, say), a
   * problem is made up with `code: 'unexpected-response'` and a detail saying what came back.
   */
  readonly problem: Problem
  /** The x-request-id response header: quote it when reporting a problem. */
  readonly requestId: string | undefined
  readonly method: string
  readonly url: string
  readonly retryAfterMs: number | undefined

  constructor(init: ApiErrorInit, message?: string) {
    const where = `${init.method} ${pathOf(init.url)}`
    const id = init.requestId ? ` (request id ${init.requestId})` : ''
    super(message ?? `${where} answered ${init.status} ${init.problem.code}: ${init.problem.detail}${id}`)
    this.status = init.status
    this.problem = init.problem
    this.requestId = init.requestId
    this.method = init.method
    this.url = init.url
    this.retryAfterMs = init.retryAfterMs
  }

  /** The problem's stable slug, e.g. `ticket-not-found` (docs/errors.md lists them). */
  get code(): string {
    return this.problem.code
  }

  /** One entry per invalid input, for 400s. */
  get errors(): ProblemError[] {
    return this.problem.errors ?? []
  }

  /**
   * For a 409 `transition-not-allowed`: the ticket's current state and the actions that state
   * allows (e.g. `{ state: 'closed', allowedActions: [] }`). Undefined for any other error.
   */
  get transition(): { state: TicketState; allowedActions: TicketAction[] } | undefined {
    if (this.problem.code !== 'transition-not-allowed' || typeof this.problem.state !== 'string') return undefined
    return { state: this.problem.state as TicketState, allowedActions: (this.problem.allowed_actions ?? []) as TicketAction[] }
  }
}

/** A successful status whose body is not the documented shape: never read as "empty". */
export class UnexpectedResponseError extends TicketsApiError {
  override name = 'UnexpectedResponseError'

  constructor(init: Omit<ApiErrorInit, 'problem'>, expected: string, what: string) {
    const detail = `The response was not the documented ${expected} shape: ${what}.`
    super(
      { ...init, problem: { type: 'about:blank', title: 'Unexpected response', status: init.status, detail, code: 'unexpected-response' } },
      `${init.method} ${pathOf(init.url)} answered ${init.status}, but the response was not the documented ${expected} shape: ${what}` +
        (init.requestId ? ` (request id ${init.requestId})` : ''),
    )
  }
}

/**
 * 410 `events-expired` from the events feed: the `after_id` you resumed from is older than the
 * feed keeps (30 days by default), so events after it may already be gone. Nothing can fill that
 * gap from the feed, and `follow` never skips past it on its own: resynchronise from the ticket
 * lists (e.g. `tickets.iterate({ updated_after })`), then follow again from the newest event
 * (`occurred_after` set to when the resynchronisation began).
 */
export class EventsExpiredError extends TicketsApiError {
  override name = 'EventsExpiredError'
  /** The event id the feed no longer knows. */
  readonly afterId: string | undefined

  constructor(init: ApiErrorInit, afterId: string | undefined) {
    super(
      init,
      `${init.method} ${pathOf(init.url)} answered 410 events-expired: events after ${afterId ?? 'the given after_id'} are past the ` +
        "feed's retention and may be gone; resynchronise from the ticket lists, then follow the feed again" +
        (init.requestId ? ` (request id ${init.requestId})` : ''),
    )
    this.afterId = afterId
  }
}

/**
 * The API answered with a redirect (3xx). The client never follows one: the request carries the
 * client secret or a bearer token, and a redirect would hand them to wherever Location points.
 * A redirect means the baseUrl is wrong (http instead of https, a moved host, a missing or extra
 * path prefix): fix it. `location` is the absolute Location (undefined when the platform hides
 * it, as browsers do for redirects they are told not to follow).
 */
export class TicketsRedirectError extends TicketsApiError {
  override name = 'TicketsRedirectError'
  readonly location: string | undefined

  constructor(init: Omit<ApiErrorInit, 'problem'>, location: string | undefined) {
    const where = location === undefined ? 'elsewhere' : `to ${location}`
    const detail =
      `The response redirects ${where}. The client does not follow redirects, so that the client secret and tokens ` +
      'go nowhere else: set baseUrl to where the API is.'
    const status = init.status === 0 ? 'a redirect' : `${init.status}`
    super(
      { ...init, problem: { type: 'about:blank', title: 'Unexpected redirect', status: init.status, detail, code: 'unexpected-redirect' } },
      `${init.method} ${pathOf(init.url)} answered ${status}, redirecting ${where}; the client does not follow redirects ` +
        `(they would carry the credentials along): set baseUrl to where the API is` +
        (init.requestId ? ` (request id ${init.requestId})` : ''),
    )
    this.location = location
  }
}

/** No answer at all: every attempt failed to connect, was reset, or timed out. */
export class TicketsNetworkError extends Error {
  override name = 'TicketsNetworkError'
  readonly method: string
  readonly url: string
  readonly attempts: number
  /** True when the last attempt ran out of time (timeoutMs) rather than failing to connect. */
  readonly timedOut: boolean

  constructor(init: { method: string; url: string; attempts: number; timedOut: boolean; cause: unknown }) {
    const reason = init.timedOut ? 'timed out' : describeCause(init.cause)
    const tries = init.attempts === 1 ? '1 attempt' : `${init.attempts} attempts`
    super(`${init.method} ${init.url} got no response (${reason}) after ${tries}`, { cause: init.cause })
    this.method = init.method
    this.url = init.url
    this.attempts = init.attempts
    this.timedOut = init.timedOut
  }
}

/**
 * The base URL is plain `http:` to a host that is not loopback: the client secret and the tokens
 * would cross the network readable by anyone on the path. Thrown by createTicketsClient unless
 * `allowInsecureHttp: true` says the caller means it.
 */
export class InsecureBaseUrlError extends Error {
  override name = 'InsecureBaseUrlError'
  readonly baseUrl: string

  constructor(baseUrl: string) {
    super(
      `refusing to send credentials over plain http to ${new URL(baseUrl).host}: use an https baseUrl ` +
        '(plain http is allowed only to localhost, 127.0.0.0/8 and [::1]), or pass allowInsecureHttp: true if you really mean it',
    )
    this.baseUrl = baseUrl
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause)
  const inner = (cause as { cause?: unknown }).cause
  const code = inner && typeof inner === 'object' && 'code' in inner ? String((inner as { code: unknown }).code) : undefined
  return code ? `${cause.message}: ${code}` : cause.message
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url)
    return parsed.pathname + parsed.search
  } catch {
    return url
  }
}
