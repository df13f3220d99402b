// tickets-api-client: a typed client for the partner Tickets API. No runtime dependencies:
// the global fetch, AbortSignal and URLSearchParams, on Node 20+ and in browsers.
export { createTicketsClient, CLIENT_VERSION, isLoopbackHost, type TicketsClient, type TicketsClientOptions } from './client.js'
export { InsecureBaseUrlError, TicketsApiError, TicketsNetworkError, TicketsRedirectError, UnexpectedResponseError } from './errors.js'
export type { HandlerResult, ProcessFailure, ProcessTicketsOptions, ProcessTicketsResult, TicketFilter } from './process.js'
export { encodeListQuery, type ListTicketsParams, type SortBy, type SortDirection, type SortField } from './query.js'
export type { CallOptions, IterateOptions, TicketsResource, TicketWithEtag, UpdateOptions } from './tickets.js'
export type { AccessToken } from './tokens.js'
export { parseRateLimit, parseRateLimitPolicy, type RateLimitItem, type RateLimitPolicy, type RateLimitState } from './ratelimit.js'
export { parseRetryAfter, RETRYABLE_STATUSES, type RetryOptions } from './transport.js'
export {
  LIST_TICKETS_PARAMETERS,
  OPERATIONS,
  type ListTicketsParameters,
  type Problem,
  type ProblemError,
  type Ticket,
  type TicketList,
  type TicketListQuery,
  type TicketPatch,
  type TicketState,
  type TokenResponse,
} from './api-types.js'
