// tickets-api-client: a typed client for the partner Tickets API. No runtime dependencies:
// the global fetch, AbortSignal and URLSearchParams, on Node 20+ and in browsers.
export { createTicketsClient, CLIENT_VERSION, isLoopbackHost, type TicketsClient, type TicketsClientOptions } from './client.js'
export {
  EventsExpiredError,
  InsecureBaseUrlError,
  TicketsApiError,
  TicketsNetworkError,
  TicketsRedirectError,
  UnexpectedResponseError,
} from './errors.js'
export type { EventPage, EventsCallOptions, EventsResource, IterateEventsOptions } from './events.js'
export type { EventsFilter, EventsQuery, EventTypeFilter, FeedEventType, ListEventsParams } from './events-query.js'
export type { FollowOptions, FollowRetry } from './follow.js'
export {
  verifyWebhook,
  DEFAULT_TOLERANCE_SECONDS,
  type VerifyWebhookOptions,
  type WebhookPayload,
  type WebhookTestEvent,
} from './webhook.js'
export { WebhookVerificationError, type WebhookFailureReason } from './webhook-error.js'
export type { WebhookHeaders } from './webhook-headers.js'
export type { HandlerResult, ProcessFailure, ProcessTicketsOptions, ProcessTicketsResult, TicketFilter } from './process.js'
export { encodeListQuery, type ListTicketsParams, type SortBy, type SortDirection, type SortField } from './query.js'
export type { CallOptions, HistoryOptions, IterateOptions, TicketsResource, TicketWithEtag, TicketWrite, UpdateOptions } from './tickets.js'
export { TICKET_ACTIONS, type TicketAction } from './actions.js'
export type { CancelReasonsResource, OutsourceFilter, OutsourcesResource, PageCallOptions, PageParams } from './catalogue.js'
export { newIdempotencyKey, type ActionOptions, type EventsParams, type WriteOptions } from './lifecycle.js'
export type { AccessToken } from './tokens.js'
export { parseRateLimit, parseRateLimitPolicy, type RateLimitItem, type RateLimitPolicy, type RateLimitState } from './ratelimit.js'
export { parseRetryAfter, RETRYABLE_STATUSES, type RetryOptions } from './transport.js'
export {
  LIST_TICKETS_PARAMETERS,
  OPERATIONS,
  type ListTicketsParameters,
  type CancelReason,
  type CancelReasonList,
  type CancelTicket,
  type EndpointDisabledEvent,
  type EventFeed,
  type EventFeedQuery,
  type FeedEvent,
  type CloseTicket,
  type JoinTicket,
  type NewTicket,
  type Outsource,
  type OutsourceList,
  type OutsourceTicket,
  type Problem,
  type ProblemError,
  type SubmitTicket,
  type Ticket,
  type TicketEvent,
  type TicketEventList,
  type TicketList,
  type TicketListQuery,
  type TicketPatch,
  type TicketState,
  type TokenResponse,
} from './api-types.js'
