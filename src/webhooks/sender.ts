// One HTTP POST of a webhook, with Node's own http/https clients, and its outcome. The address
// policy holds at connect time: hosts that are names go through the guarded lookup, hosts that
// are IP literals are checked here (they make no lookup). Success is a 2xx answer within the
// timeout; redirects are not followed (a 3xx is a failure, as the specification says).
import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'
import { addressRefusal, ipLiteralOf } from './address-policy.js'
import { guardedLookup } from './guarded-lookup.js'
import { resolveWithSystem, urlFormRefusal, type ResolveHost } from './url-policy.js'

export const DELIVERY_TIMEOUT_MS = 15_000

export interface SendResult {
  succeeded: boolean
  /** The answer's status; null when there was none (refused, unreachable, timed out). */
  status: number | null
  durationMs: number
  error: string | null
  /** The Retry-After header as sent (read on 429 and 503 only). */
  retryAfter: string | undefined
}

export interface SenderOptions {
  allowPrivate: boolean
  /** The resolver connections use (tests simulate DNS answers); the system's by default. */
  resolve?: ResolveHost
  timeoutMs?: number
}

const USER_AGENT = 'tickets-api-webhooks/1'

export class WebhookSender {
  // Kept-alive connections: a busy endpoint costs one TLS handshake, not one per event. A
  // reused socket was checked when it connected, to the address it is still connected to.
  readonly #agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) }
  readonly #lookup
  readonly #timeoutMs: number

  constructor(private readonly options: SenderOptions) {
    this.#lookup = options.allowPrivate ? undefined : guardedLookup(options.resolve ?? resolveWithSystem)
    this.#timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS
  }

  async send(target: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now()
    const failed = (error: string): SendResult => ({
      succeeded: false,
      status: null,
      durationMs: Math.round(performance.now() - started),
      error,
      retryAfter: undefined,
    })
    let url: URL
    try {
      url = new URL(target)
    } catch {
      return failed('refused: not an absolute URL')
    }
    const formRefusal = urlFormRefusal(url, this.options.allowPrivate)
    if (formRefusal !== undefined) return failed(`refused: the URL ${formRefusal}`)
    const literal = ipLiteralOf(url.hostname)
    const literalRefusal = literal !== undefined && !this.options.allowPrivate ? addressRefusal(literal) : undefined
    if (literalRefusal !== undefined) return failed(`refused: ${literal} is ${literalRefusal}`)
    return new Promise<SendResult>((resolve) => this.#post(url, headers, body, started, resolve, failed))
  }

  #post(
    url: URL,
    headers: Record<string, string>,
    body: string,
    started: number,
    resolve: (result: SendResult) => void,
    failed: (error: string) => SendResult,
  ): void {
    const client = url.protocol === 'https:' ? https : http
    const payload = Buffer.from(body, 'utf8')
    let settled = false
    const settle = (result: SendResult) => {
      if (!settled) resolve(result)
      settled = true
    }
    const request = client.request(url, {
      method: 'POST',
      agent: this.#agents[url.protocol as 'http:' | 'https:'],
      headers: { ...headers, 'content-length': String(payload.length), 'user-agent': USER_AGENT },
      ...(this.#lookup ? { lookup: this.#lookup } : {}),
    })
    // One deadline for the whole exchange: an endpoint that answers late, or never finishes its
    // body, does not hold a delivery slot beyond it.
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${this.#timeoutMs / 1000} s`)), this.#timeoutMs)
    request.on('response', (response) => {
      const status = response.statusCode ?? 0
      const retryAfter = status === 429 || status === 503 ? response.headers['retry-after'] : undefined
      settle({
        succeeded: status >= 200 && status < 300,
        status,
        durationMs: Math.round(performance.now() - started),
        error: null,
        retryAfter,
      })
      response.resume()
      response.on('close', () => clearTimeout(timer))
    })
    request.on('error', (error) => {
      clearTimeout(timer)
      settle(failed(error.message || (error as NodeJS.ErrnoException).code || 'connection failed'))
    })
    request.end(payload)
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agents['http:'].destroy()
    this.#agents['https:'].destroy()
  }
}
