// The lifecycle's writes (create and the eight actions) and a ticket's history. Every write is a
// POST carrying an Idempotency-Key (the caller's, or a fresh random one per call), so the
// transport may retry it: a repeat with the same key gets the first answer, never a second change.
import type { TicketEventList } from './api-types.js'
import { UnexpectedResponseError } from './errors.js'
import { errorOf, type HttpRequest, type HttpResponse } from './transport.js'

/** What sends an authorized request (AuthorizedSender in tickets.ts). */
export interface Sender {
  readonly transport: { readonly clock: () => Date }
  send(request: HttpRequest): Promise<HttpResponse>
}

export interface WriteOptions {
  signal?: AbortSignal
  /**
   * Sent as `Idempotency-Key`. Default: a new random UUID for each call, which makes the call's
   * own retries safe. Pass a key you keep (e.g. your order id) to make a repeat of the same call
   * after a crash safe too; the server keeps answers for 24 hours.
   */
  idempotencyKey?: string
}

export interface ActionOptions extends WriteOptions {
  /** Act only if the ticket still has this ETag (412 precondition-failed otherwise). */
  ifMatch?: string
}

export interface EventsParams {
  /** Events per page, 0..1000 (the server's default is 25). */
  limit?: number
  /** Only events after this event id (the last id of the previous page). */
  after_id?: string
}

/** A random UUID from the platform's Web Crypto (Node 20+, browsers), or from getRandomValues. */
export function newIdempotencyKey(): string {
  const webCrypto = globalThis.crypto
  if (typeof webCrypto?.randomUUID === 'function') return webCrypto.randomUUID()
  const bytes = webCrypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** POSTs a lifecycle write; resolves with the response when its status is `expected`, throws TicketsApiError otherwise. */
export async function sendWrite(
  sender: Sender,
  path: string,
  body: unknown,
  expected: number,
  options: ActionOptions,
): Promise<HttpResponse> {
  const response = await sender.send({
    method: 'POST',
    path,
    headers: {
      'content-type': 'application/json',
      'idempotency-key': options.idempotencyKey ?? newIdempotencyKey(),
      ...(options.ifMatch !== undefined ? { 'if-match': options.ifMatch } : {}),
    },
    body: JSON.stringify(body ?? {}),
    signal: options.signal,
  })
  if (response.status !== expected) throw errorOf(response, sender.transport.clock)
  return response
}

export function shapeError(response: HttpResponse, expected: string, what: string): UnexpectedResponseError {
  const requestId = response.headers.get('x-request-id') ?? undefined
  return new UnexpectedResponseError({ status: response.status, requestId, method: response.method, url: response.url }, expected, what)
}

export const describe = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value)

/** `{ query, result[] }` whose every element has a string id, or UnexpectedResponseError. */
export function asCollection<T>(response: HttpResponse, expected: string, withTotal: boolean): T {
  const body = response.body
  if (!response.json || typeof body !== 'object' || body === null || Array.isArray(body))
    throw shapeError(response, expected, response.json ? `the body is ${describe(body)}, not an object` : 'the body is not JSON')
  const page = body as Record<string, unknown>
  if (!Array.isArray(page.result)) throw shapeError(response, expected, `result is ${describe(page.result)}, not an array`)
  if (withTotal && typeof page.total !== 'number') throw shapeError(response, expected, `total is ${describe(page.total)}, not a number`)
  page.result.forEach((item, i) => {
    const id = (item as { id?: unknown } | null)?.id
    if (typeof item !== 'object' || item === null || (typeof id !== 'string' && typeof id !== 'number'))
      throw shapeError(response, expected, `result[${i}] is ${describe(item)} without an id`)
  })
  return body as T
}

export const asEventList = (response: HttpResponse) => asCollection<TicketEventList>(response, 'TicketEventList', false)

export function eventsQuery(params: EventsParams): string {
  const query = new URLSearchParams()
  if (params.limit !== undefined) {
    if (!Number.isInteger(params.limit) || params.limit < 0 || params.limit > 1000)
      throw new RangeError('limit must be an integer from 0 to 1000')
    query.set('limit', String(params.limit))
  }
  if (params.after_id !== undefined) query.set('after_id', params.after_id)
  const text = query.toString()
  return text ? `?${text}` : ''
}
