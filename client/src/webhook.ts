// verifyWebhook: checks a webhook delivery the way the Standard Webhooks specification says
// (https://www.standardwebhooks.com): HMAC-SHA256 of `id.timestamp.body` under the endpoint's
// secret, any of the `v1,` signatures in webhook-signature (two during a secret rotation),
// compared in constant time; webhook-timestamp within a tolerance of now (replays); then the
// body parsed into its typed `{ type, timestamp, data }`.
//
// node:crypto is reached through process.getBuiltinModule (Node 20.16+) rather than imported:
// a static import would break every browser bundle of this package, while receiving webhooks
// happens on a server anyway.
import type { EndpointDisabledEvent, TicketEvent } from './api-types.js'
import { WebhookVerificationError } from './webhook-error.js'
import { headerReader, type WebhookHeaders } from './webhook-headers.js'

/** The event `POST …/webhook-endpoints/{id}/test` sends; it is not in the feed. */
export interface WebhookTestEvent {
  id: string
  type: 'webhook.test'
  occurred_at: string
  payload: { endpoint: { id: string; url: string } }
  actor: TicketEvent['actor']
  changes: Record<string, never>
}

/** The body of one delivery: the event as `data`, its type, and when it occurred. */
type Envelope<E extends { type: string }> = { type: E['type']; timestamp: string; data: E }
/** Narrow on `type`: `if (payload.type === 'tickets.ticket.closed') payload.data.payload.ticket`. */
export type WebhookPayload = Envelope<TicketEvent> | Envelope<EndpointDisabledEvent> | Envelope<WebhookTestEvent>

export interface VerifyWebhookOptions {
  /** How far webhook-timestamp may be from now, in seconds, either way (default 300, as the specification recommends). */
  toleranceSeconds?: number
  /** The time to check against (default: now). */
  now?: Date
}

export const DEFAULT_TOLERANCE_SECONDS = 300

interface NodeCrypto {
  createHmac(algorithm: 'sha256', key: Uint8Array): { update(data: Uint8Array): { digest(): Uint8Array } }
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean
}

let nodeCrypto: NodeCrypto | undefined

function cryptoModule(): NodeCrypto {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  nodeCrypto ??= runtime?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
  if (!nodeCrypto) throw new Error('verifyWebhook needs node:crypto (Node.js 20.16 or newer, Deno or Bun): verify webhooks on your server')
  return nodeCrypto
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
/** A base64 HMAC-SHA256: 32 bytes are always 43 characters and one `=`. */
const SIGNATURE = /^[A-Za-z0-9+/]{43}=$/
const PREFIX = 'whsec_'

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}

/** The HMAC key: `whsec_` + base64 (the prefix may be left off), or the raw key bytes. */
function keyOf(secret: unknown): Uint8Array {
  if (secret instanceof Uint8Array && secret.length > 0) return secret
  if (typeof secret === 'string') {
    const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret
    if (encoded !== '' && BASE64.test(encoded)) return fromBase64(encoded)
  }
  throw new WebhookVerificationError(
    'bad-secret',
    'the secret must be the endpoint\'s signing secret, "whsec_" followed by base64 (as the API showed it when the endpoint was created or its secret rotated)',
  )
}

function bodyBytes(rawBody: unknown): Uint8Array {
  if (typeof rawBody === 'string') return new TextEncoder().encode(rawBody)
  if (rawBody instanceof Uint8Array) return rawBody
  if (rawBody instanceof ArrayBuffer) return new Uint8Array(rawBody)
  const what = rawBody === null ? 'null' : Array.isArray(rawBody) ? 'an array' : typeof rawBody
  throw new WebhookVerificationError(
    'not-raw-body',
    `pass the raw request body (a string, Buffer or Uint8Array, exactly as received), not ${what}: ` +
      'the signature covers the bytes that were sent, and a body that was parsed (by a JSON body parser, say) cannot be checked',
  )
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of parts) {
    joined.set(part, offset)
    offset += part.length
  }
  return joined
}

/** Whether any `v1,<base64>` entry of the header is the expected HMAC, each compared in constant time. */
function anySignatureMatches(header: string, expected: Uint8Array, node: NodeCrypto): boolean {
  let matched = false
  for (const entry of header.split(' ')) {
    if (!entry.startsWith('v1,')) continue
    const value = entry.slice('v1,'.length)
    // Not `||=`: every candidate is compared, so the time taken does not tell which one matched.
    if (SIGNATURE.test(value) && node.timingSafeEqual(fromBase64(value), expected)) matched = true
  }
  return matched
}

function parsePayload(body: Uint8Array): WebhookPayload {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    throw new WebhookVerificationError('bad-payload', 'the body is signed but is not UTF-8 JSON')
  }
  const p = parsed as { type?: unknown; timestamp?: unknown; data?: unknown } | null
  if (typeof p !== 'object' || p === null || typeof p.type !== 'string' || typeof p.timestamp !== 'string')
    throw new WebhookVerificationError('bad-payload', 'the body is signed but is not { type, timestamp, data }')
  if (typeof p.data !== 'object' || p.data === null || Array.isArray(p.data))
    throw new WebhookVerificationError('bad-payload', 'the body is signed but its data is not an event object')
  return parsed as WebhookPayload
}

/**
 * Verifies a webhook delivery and returns its parsed body. Throws WebhookVerificationError, whose
 * `reason` says why: `not-raw-body`, `bad-secret`, `missing-header`, `bad-timestamp`,
 * `bad-signature`, `stale-timestamp`, `future-timestamp` or `bad-payload`. Answer a failure with
 * 4xx and do not act on the body. `headers` is a plain object (any case, as node:http gives it)
 * or a Headers; `rawBody` the bytes exactly as received.
 */
export function verifyWebhook(
  secret: string | Uint8Array,
  headers: WebhookHeaders,
  rawBody: string | Uint8Array | ArrayBuffer,
  options: VerifyWebhookOptions = {},
): WebhookPayload {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (!(tolerance >= 0)) throw new RangeError('toleranceSeconds must be a number of seconds, 0 or more')
  const now = (options.now ?? new Date()).getTime()
  if (Number.isNaN(now)) throw new RangeError('now must be a valid Date')
  const body = bodyBytes(rawBody)
  const key = keyOf(secret)
  const header = headerReader(headers)
  const id = header('webhook-id')
  const timestamp = header('webhook-timestamp')
  const signatures = header('webhook-signature')
  if (!/^\d{1,15}$/.test(timestamp))
    throw new WebhookVerificationError(
      'bad-timestamp',
      `webhook-timestamp must be whole seconds since 1970, got ${JSON.stringify(timestamp.slice(0, 40))}`,
    )
  const node = cryptoModule()
  const expected = node
    .createHmac('sha256', key)
    .update(concat(new TextEncoder().encode(`${id}.${timestamp}.`), body))
    .digest()
  // The signature first: a forged request is reported as forged, whatever its timestamp says.
  if (!anySignatureMatches(signatures, expected, node))
    throw new WebhookVerificationError(
      'bad-signature',
      'no v1 signature in webhook-signature matches: check the secret (after a rotation, use the new one), and pass the ' +
        'body exactly as received (re-serialising a parsed body changes its bytes)',
    )
  const skew = Number(timestamp) - Math.floor(now / 1000)
  if (skew < -tolerance)
    throw new WebhookVerificationError(
      'stale-timestamp',
      `signed ${-skew} s ago, more than the ${tolerance} s allowed: a replay, or a clock far off`,
    )
  if (skew > tolerance)
    throw new WebhookVerificationError(
      'future-timestamp',
      `signed ${skew} s in the future, more than the ${tolerance} s allowed: check this machine's clock`,
    )
  return parsePayload(body)
}
