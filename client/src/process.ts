// processTickets: the integration loop. List unprocessed tickets (oldest first), run the
// handler for each, and mark a ticket processed only after its handler succeeded. At least
// once: a ticket whose mark did not happen (handler threw, mark failed, process crashed in
// between) is still unprocessed, so the next run hands it to the handler again.
import type { Ticket } from './api-types.js'
import { TicketsApiError } from './errors.js'
import type { ListTicketsParams } from './query.js'
import type { TicketsResource } from './tickets.js'
import type { TokenSource } from './tokens.js'

/** What a handler may return: nothing, the reference to store with the mark, or a deliberate skip. */
export type HandlerResult = void | undefined | { external_reference?: string } | { skip: true }

export type TicketFilter = Omit<ListTicketsParams, 'externally_processed' | 'sort_by' | 'limit' | 'offset'>

export interface ProcessTicketsOptions {
  /** Narrows the tickets (state, dates, customer…); `externally_processed=false` is always added. */
  filter?: TicketFilter
  handler: (ticket: Ticket, context: { signal: AbortSignal | undefined }) => HandlerResult | Promise<HandlerResult>
  /** Handlers running at once (default 1: tickets are handled oldest first, one by one). */
  concurrency?: number
  /** Mark each handled ticket `externally_processed: true` (default true). */
  markProcessed?: boolean
  /** Tickets fetched per page (default 100). */
  pageSize?: number
  /** Stop: no handler starts after it fires; running ones finish and are marked. */
  signal?: AbortSignal
}

export interface ProcessFailure {
  ticketId: string
  /** `handler`: the handler threw; `mark`: it succeeded but marking the ticket failed. */
  stage: 'handler' | 'mark'
  error: unknown
}

export interface ProcessTicketsResult {
  /** Tickets handed to the handler. */
  seen: number
  /** Handled and marked (or just handled, with markProcessed: false). */
  processed: number
  /** The handler threw; the ticket stays unprocessed for the next run. */
  failed: number
  /** The handler succeeded but the mark failed; the next run handles the ticket again. */
  markFailed: number
  /** The handler returned `{ skip: true }`; the ticket stays unprocessed. */
  skipped: number
  failures: ProcessFailure[]
  /** False when `signal` stopped the run before it reached the last page. */
  completed: boolean
}

const FORBIDDEN_IN_FILTER = ['externally_processed', 'sort_by', 'limit', 'offset', 'after'] as const

export async function processTickets(
  tickets: TicketsResource,
  tokens: TokenSource,
  options: ProcessTicketsOptions,
): Promise<ProcessTicketsResult> {
  const filter = options.filter ?? {}
  for (const name of FORBIDDEN_IN_FILTER)
    if (name in filter) throw new TypeError(`processTickets: filter may not set ${name}; the loop sets it`)
  const concurrency = options.concurrency ?? 1
  const pageSize = options.pageSize ?? 100
  const markProcessed = options.markProcessed ?? true
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer')
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new RangeError('pageSize must be an integer from 1 to 1000')
  if (markProcessed) {
    // Without the write scope every mark would fail after its handler ran, and every run would
    // redo every ticket: refuse before handling anything.
    const token = await tokens.get(options.signal)
    if (!token.scopes.includes('tickets:write'))
      throw new Error(
        `processTickets needs the tickets:write scope to mark tickets, but the token has ${token.scopes.join(' ') || 'no scopes'} ` +
          '(pass markProcessed: false to only run the handler)',
      )
  }

  const result: ProcessTicketsResult = { seen: 0, processed: 0, failed: 0, markFailed: 0, skipped: 0, failures: [], completed: false }
  const handled = new Set<string>()
  let fatal: unknown

  async function handle(ticket: Ticket): Promise<void> {
    let outcome: HandlerResult
    try {
      outcome = await options.handler(ticket, { signal: options.signal })
    } catch (error) {
      result.failed++
      result.failures.push({ ticketId: ticket.id, stage: 'handler', error })
      return
    }
    if (outcome && 'skip' in outcome && outcome.skip === true) {
      result.skipped++
      return
    }
    if (!markProcessed) {
      result.processed++
      return
    }
    const reference = outcome && 'external_reference' in outcome ? outcome.external_reference : undefined
    try {
      // Not tied to options.signal: a handler that succeeded should get its mark.
      await tickets.update(ticket.id, { externally_processed: true, ...(reference !== undefined ? { external_reference: reference } : {}) })
      result.processed++
    } catch (error) {
      result.markFailed++
      result.failures.push({ ticketId: ticket.id, stage: 'mark', error })
      // Credentials that cannot mark will not mark the next ticket either: stop the run.
      if (error instanceof TicketsApiError && (error.status === 401 || error.status === 403)) fatal ??= error
    }
  }

  // The walk follows the list's `next` cursor: each page starts strictly after the last ticket
  // of the previous one in (created_at, id) order. Marking a ticket takes it out of the
  // unprocessed list but moves no other ticket, so nothing is skipped and nothing re-read;
  // tickets that fail stay unprocessed for the next run.
  let after: string | undefined
  for (;;) {
    if (options.signal?.aborted || fatal !== undefined) break
    let page
    try {
      page = await tickets.list(
        { ...filter, externally_processed: false, sort_by: { created_at: 'asc' }, limit: pageSize, ...(after ? { after } : {}) },
        options.signal ? { signal: options.signal } : {},
      )
    } catch (error) {
      if (options.signal?.aborted) break
      throw error
    }
    const fresh = page.result.filter((ticket) => !handled.has(ticket.id))
    let next = 0
    const worker = async () => {
      while (next < fresh.length && !options.signal?.aborted && fatal === undefined) {
        const ticket = fresh[next++]!
        handled.add(ticket.id)
        result.seen++
        await handle(ticket)
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, fresh.length) }, worker))
    if (page.next === null) {
      result.completed = !options.signal?.aborted && fatal === undefined
      break
    }
    after = page.next
  }
  if (fatal !== undefined) throw fatal
  return result
}
