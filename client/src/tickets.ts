// The Tickets resource: list (with shape checks), iterate across pages, get, update. Every
// call carries a bearer token; a 401 invalid_token refreshes the token and retries once.
import {
  OPERATIONS,
  type CancelTicket,
  type CloseTicket,
  type JoinTicket,
  type NewTicket,
  type OutsourceTicket,
  type SubmitTicket,
  type Ticket,
  type TicketEvent,
  type TicketEventList,
  type TicketList,
  type TicketPatch,
} from './api-types.js'
import type { TicketAction } from './actions.js'
import { UnexpectedResponseError } from './errors.js'
import { asEventList, eventsQuery, sendWrite, type ActionOptions, type EventsParams, type WriteOptions } from './lifecycle.js'
import { encodeListQuery, type ListTicketsParams } from './query.js'
import type { TokenSource } from './tokens.js'
import { errorOf, type HttpRequest, type HttpResponse, type Transport } from './transport.js'

export interface CallOptions {
  signal?: AbortSignal
}

export interface IterateOptions extends CallOptions {
  /** Tickets per request, 1..1000 (default 100). */
  pageSize?: number
}

export interface UpdateOptions extends CallOptions {
  /** Update only if the ticket still has this ETag (412 precondition-failed otherwise). */
  ifMatch?: string
}

export interface TicketWithEtag {
  ticket: Ticket
  etag: string | undefined
}

/** What a lifecycle write answers: the ticket, its ETag, and whether the answer is a replay. */
export interface TicketWrite extends TicketWithEtag {
  /** True when the server answered an earlier request with the same Idempotency-Key again (nothing changed now). */
  replayed: boolean
}

export interface HistoryOptions extends CallOptions {
  /** Events per request, 1..1000 (default 100). */
  pageSize?: number
  /** Start after this event id instead of at the ticket's first event. */
  afterId?: string
}

const ticketPath = (id: string) => OPERATIONS.getTicket.path.replace('{ticket-id}', encodeURIComponent(id))
const actionPath = (id: string, action: TicketAction) => `${ticketPath(id)}/${action}`
const eventsPath = (id: string) => OPERATIONS.listTicketEvents.path.replace('{ticket-id}', encodeURIComponent(id))

function invalidTokenAnswer(response: HttpResponse): boolean {
  if (response.status !== 401) return false
  const code = (response.body as { code?: unknown } | null)?.code
  return code === 'invalid-token' || /error="?invalid_token"?/.test(response.headers.get('www-authenticate') ?? '')
}

/** Sends requests with a bearer token, refreshing it once when the server no longer accepts it. */
export class AuthorizedSender {
  constructor(
    readonly transport: Transport,
    readonly tokens: TokenSource,
  ) {}

  async send(request: HttpRequest): Promise<HttpResponse> {
    const token = await this.tokens.get(request.signal)
    const withToken = (accessToken: string) => ({
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${accessToken}` },
    })
    const response = await this.transport.send(withToken(token.accessToken))
    if (!invalidTokenAnswer(response)) return response
    // Expired early (clock skew), revoked key, or a restarted server with a new signing key:
    // one fresh token, one more try. A second refusal is the caller's problem to see.
    this.tokens.invalidate(token.accessToken)
    const fresh = await this.tokens.get(request.signal)
    return this.transport.send(withToken(fresh.accessToken))
  }
}

function shapeError(response: HttpResponse, expected: string, what: string): UnexpectedResponseError {
  const requestId = response.headers.get('x-request-id') ?? undefined
  return new UnexpectedResponseError({ status: response.status, requestId, method: response.method, url: response.url }, expected, what)
}

const describe = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value)

/** Why `value` is not a ticket, or undefined when it looks like one. */
function ticketFault(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `is ${describe(value)}, not a ticket object`
  const t = value as Record<string, unknown>
  if (typeof t.id !== 'string') return 'has no string id'
  if (typeof t.state !== 'string') return 'has no string state'
  if (typeof t.externally_processed !== 'boolean') return 'has no boolean externally_processed'
  return undefined
}

function asTicketList(response: HttpResponse): TicketList {
  const body = response.body
  if (!response.json || typeof body !== 'object' || body === null || Array.isArray(body))
    throw shapeError(response, 'TicketList', response.json ? `the body is ${describe(body)}, not an object` : 'the body is not JSON')
  const list = body as Record<string, unknown>
  if (!Array.isArray(list.result)) {
    const keys = Object.keys(list).join(', ') || 'none'
    throw shapeError(
      response,
      'TicketList',
      `result is ${list.result === undefined ? 'missing' : describe(list.result)} (members: ${keys})`,
    )
  }
  if (typeof list.total !== 'number') throw shapeError(response, 'TicketList', `total is ${describe(list.total)}, not a number`)
  if (!Number.isInteger(list.total) || list.total < 0)
    throw shapeError(response, 'TicketList', `total is ${list.total}, not a non-negative integer`)
  if (typeof list.query !== 'object' || list.query === null || Array.isArray(list.query))
    throw shapeError(response, 'TicketList', `query is ${describe(list.query)}, not an object`)
  if (list.next !== null && typeof list.next !== 'string')
    throw shapeError(response, 'TicketList', `next is ${describe(list.next)}, not a cursor string or null`)
  list.result.forEach((ticket, i) => {
    const fault = ticketFault(ticket)
    if (fault) throw shapeError(response, 'TicketList', `result[${i}] ${fault}`)
  })
  return body as TicketList
}

function asTicket(response: HttpResponse): TicketWithEtag {
  const fault = response.json ? ticketFault(response.body) : 'is not JSON'
  if (fault) throw shapeError(response, 'Ticket', `the body ${fault}`)
  return { ticket: response.body as Ticket, etag: response.headers.get('etag') ?? undefined }
}

export class TicketsResource {
  constructor(private readonly sender: AuthorizedSender) {}

  /** One page: `{ query, result, total }`. A 4xx/5xx throws TicketsApiError; a malformed 200 throws UnexpectedResponseError. */
  async list(params: ListTicketsParams = {}, options: CallOptions = {}): Promise<TicketList> {
    const query = encodeListQuery(params)
    const response = await this.sender.send({
      method: 'GET',
      path: OPERATIONS.listTickets.path + (query ? `?${query}` : ''),
      signal: options.signal,
    })
    if (response.status !== 200) throw errorOf(response, this.sender.transport.clock)
    return asTicketList(response)
  }

  /**
   * Every matching ticket, page after page, following the `next` cursor: each page starts
   * strictly after the previous page's last ticket in the sort order (which always ends with
   * id), so tickets changing or disappearing elsewhere in the list never shift the walk. See
   * the README for what a walk sees when tickets change under it.
   */
  async *iterate(params: ListTicketsParams = {}, options: IterateOptions = {}): AsyncGenerator<Ticket, void, undefined> {
    const pageSize = options.pageSize ?? (typeof params.limit === 'number' ? params.limit : 100)
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new RangeError('pageSize must be an integer from 1 to 1000')
    // An offset (or a starting cursor) applies to the first page only; then the cursor leads.
    let page = await this.list({ ...params, limit: pageSize }, options)
    for (;;) {
      yield* page.result
      if (page.next === null) return
      const { offset: _offset, ...rest } = params
      page = await this.list({ ...rest, limit: pageSize, after: page.next }, options)
    }
  }

  /** The ticket; a 404 (no such ticket for this client) throws TicketsApiError `ticket-not-found`. */
  async get(id: string, options: CallOptions = {}): Promise<Ticket> {
    return (await this.getWithEtag(id, options)).ticket
  }

  /** The ticket and its ETag (for `update(..., { ifMatch })`). */
  async getWithEtag(id: string, options: CallOptions = {}): Promise<TicketWithEtag> {
    const response = await this.sender.send({ method: 'GET', path: ticketPath(id), signal: options.signal })
    if (response.status !== 200) throw errorOf(response, this.sender.transport.clock)
    return asTicket(response)
  }

  /**
   * Sets `externally_processed` and/or `external_reference` (a JSON merge patch). Retried like
   * a GET: setting the same values twice leaves the same values. With `ifMatch`, a retry whose
   * first attempt did apply answers 412; the ticket is then read back, and if it carries the
   * patched values the update counts as done.
   */
  async update(id: string, patch: TicketPatch, options: UpdateOptions = {}): Promise<TicketWithEtag> {
    const response = await this.sender.send({
      method: 'PATCH',
      path: ticketPath(id),
      headers: {
        'content-type': 'application/merge-patch+json',
        ...(options.ifMatch !== undefined ? { 'if-match': options.ifMatch } : {}),
      },
      body: JSON.stringify(patch),
      signal: options.signal,
    })
    if (response.status === 200) return asTicket(response)
    const error = errorOf(response, this.sender.transport.clock)
    // Only a retried PATCH can have applied before its 412: an earlier attempt's answer was lost.
    if (response.status === 412 && options.ifMatch !== undefined && response.attempts > 1) {
      const current = await this.getWithEtag(id, options)
      const applied = (Object.keys(patch) as (keyof TicketPatch)[]).every((key) => current.ticket[key] === patch[key])
      if (applied) return current
    }
    throw error
  }

  /**
   * Creates a ticket (scope tickets:manage): pending by default, or `state: 'prepared'` for a
   * customer to submit later. Answers 201; `ticket.id` is the new ticket's id.
   */
  async create(body: NewTicket, options: WriteOptions = {}): Promise<TicketWrite> {
    return this.write(OPERATIONS.createTicket.path, body, 201, options)
  }

  /** prepared → pending. `vin` is required when the prepared ticket has none. */
  async submit(id: string, body: SubmitTicket = {}, options: ActionOptions = {}): Promise<TicketWrite> {
    return this.write(actionPath(id, 'submit'), body, 200, options)
  }

  /** pending → in_progress, with the operator who joins. */
  async join(id: string, body: JoinTicket, options: ActionOptions = {}): Promise<TicketWrite> {
    return this.write(actionPath(id, 'join'), body, 200, options)
  }

  /** in_progress → pending (the operator leaves; operator_id and assigned_at stay). */
  async release(id: string, options: ActionOptions = {}): Promise<TicketWrite> {
    return this.write(actionPath(id, 'release'), {}, 200, options)
  }

  /** in_progress → closed, optionally with the operator's reference and the battery voltage. */
  async close(id: string, body: CloseTicket = {}, options: ActionOptions = {}): Promise<TicketWrite> {
    return this.write(actionPath(id, 'close'), body, 200, options)
  }

  /** prepared, pending or in_progress → cancelled, with a manually applicable reason (see cancelReasons). */
  async cancel(id: string, body: CancelTicket, options: ActionOptions = {}): Promise<TicketWrite> {
    return this.write(actionPath(id, 'cancel'), body, 200, options)
  }

  /** cancelled → pending, when the ticket's cancel reason allows reopening. */
  async reopen(id: string, options: ActionOptions = {}): Promise<TicketWrite> {
    return this.write(actionPath(id, 'reopen'), {}, 200, options)
  }

  /** pending or in_progress → outsourced to a partnered provider (the partner gets a pending ticket). */
  async outsource(id: string, body: OutsourceTicket, options: ActionOptions = {}): Promise<TicketWrite> {
    return this.write(actionPath(id, 'outsource'), body, 200, options)
  }

  /** outsourced → pending, while the partner has not started on it. */
  async reclaim(id: string, options: ActionOptions = {}): Promise<TicketWrite> {
    return this.write(actionPath(id, 'reclaim'), {}, 200, options)
  }

  /** One page of the ticket's history, oldest first: `{ query, result }`. */
  async events(id: string, params: EventsParams = {}, options: CallOptions = {}): Promise<TicketEventList> {
    const response = await this.sender.send({ method: 'GET', path: eventsPath(id) + eventsQuery(params), signal: options.signal })
    if (response.status !== 200) throw errorOf(response, this.sender.transport.clock)
    return asEventList(response)
  }

  /** Every event of the ticket, oldest first, page after page (each page starts after the last id seen). */
  async *history(id: string, options: HistoryOptions = {}): AsyncGenerator<TicketEvent, void, undefined> {
    const pageSize = options.pageSize ?? 100
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new RangeError('pageSize must be an integer from 1 to 1000')
    let afterId = options.afterId
    for (;;) {
      const page = await this.events(id, { limit: pageSize, ...(afterId !== undefined ? { after_id: afterId } : {}) }, options)
      yield* page.result
      if (page.result.length < pageSize) return
      afterId = page.result[page.result.length - 1]!.id
    }
  }

  private async write(path: string, body: unknown, expected: number, options: ActionOptions): Promise<TicketWrite> {
    const response = await sendWrite(this.sender, path, body, expected, options)
    return { ...asTicket(response), replayed: response.headers.get('idempotent-replayed') === 'true' }
  }
}
