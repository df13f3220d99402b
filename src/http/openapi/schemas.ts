// TypeBox schemas as they appear in the OpenAPI document: plain JSON, with the shared shapes
// as components referenced by $ref.
import { HealthSchema } from '../../contract/health.js'
import { CancelReasonSchema } from '../../contract/cancel-reason.js'
import { OutsourceSchema } from '../../contract/outsource.js'
import { STATE_VIEW_COMPONENTS } from '../../contract/state-views.js'
import { NewTicketSchema } from '../../contract/ticket-create.js'
import { TicketEventListSchema, TicketEventSchema } from '../../contract/ticket-event.js'
import { EndpointDisabledEventSchema, EventFeedSchema, FeedEventSchema } from '../../contract/event-feed.js'
import {
  CancelBodySchema,
  CloseBodySchema,
  EmptyBodySchema,
  JoinBodySchema,
  OutsourceBodySchema,
  SubmitBodySchema,
} from '../../contract/transitions.js'
import { CancelReasonListSchema } from '../routes/cancel-reasons.js'
import { OutsourceListSchema } from '../routes/outsources.js'
import { TicketListSchema } from '../../contract/list-tickets.js'
import { TokenRequestSchema, TokenResponseSchema } from '../../contract/oauth.js'
import { ProblemSchema } from '../../contract/problem.js'
import { TicketSchema, TicketStateSchema } from '../../contract/ticket.js'
import { TicketPatchSchema } from '../../contract/ticket-patch.js'
import {
  CreatedWebhookEndpointSchema,
  NewWebhookEndpointSchema,
  RotatedWebhookSecretSchema,
  WebhookDeliverySchema,
  WebhookEndpointPatchSchema,
  WebhookEndpointSchema,
  WebhookRecoverSchema,
} from '../../contract/webhook-endpoint.js'
import { WebhookEndpointListSchema } from '../routes/webhook-endpoints.js'
import { WebhookDeliveryListSchema } from '../routes/webhook-actions.js'

type Json = Record<string, unknown>

// Subschemas that are one of these (or carry one of these titles) become $refs.
const COMPONENTS: Record<string, unknown> = {
  Ticket: TicketSchema,
  'Ticket-state': TicketStateSchema,
  TicketList: TicketListSchema,
  TicketPatch: TicketPatchSchema,
  Problem: ProblemSchema,
  TokenRequest: TokenRequestSchema,
  TokenResponse: TokenResponseSchema,
  Health: HealthSchema,
  NewTicket: NewTicketSchema,
  TicketEvent: TicketEventSchema,
  TicketEventList: TicketEventListSchema,
  EndpointDisabledEvent: EndpointDisabledEventSchema,
  FeedEvent: FeedEventSchema,
  EventFeed: EventFeedSchema,
  CancelReason: CancelReasonSchema,
  CancelReasonList: CancelReasonListSchema,
  Outsource: OutsourceSchema,
  OutsourceList: OutsourceListSchema,
  SubmitTicket: SubmitBodySchema,
  JoinTicket: JoinBodySchema,
  CloseTicket: CloseBodySchema,
  CancelTicket: CancelBodySchema,
  OutsourceTicket: OutsourceBodySchema,
  NoBody: EmptyBodySchema,
  ...STATE_VIEW_COMPONENTS,
  WebhookEndpoint: WebhookEndpointSchema,
  WebhookEndpointList: WebhookEndpointListSchema,
  NewWebhookEndpoint: NewWebhookEndpointSchema,
  CreatedWebhookEndpoint: CreatedWebhookEndpointSchema,
  WebhookEndpointPatch: WebhookEndpointPatchSchema,
  RotatedWebhookSecret: RotatedWebhookSecretSchema,
  WebhookRecover: WebhookRecoverSchema,
  WebhookDelivery: WebhookDeliverySchema,
  WebhookDeliveryList: WebhookDeliveryListSchema,
}
const COMPONENT_NAMES = new Map(Object.entries(COMPONENTS).map(([name, schema]) => [schema, name]))

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

function componentName(schema: object): string | undefined {
  const title = (schema as Json).title
  return COMPONENT_NAMES.get(schema) ?? (typeof title === 'string' && title in COMPONENTS ? title : undefined)
}

/** A plain JSON copy (TypeBox's symbol keys dropped) with component subschemas as $refs. */
export function toDocumentSchema(schema: unknown, isRoot = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => toDocumentSchema(item))
  if (typeof schema !== 'object' || schema === null) return schema
  const name = isRoot ? undefined : componentName(schema)
  if (name !== undefined) return ref(name)
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, toDocumentSchema(value)]))
}

export function componentSchemas(): Json {
  return Object.fromEntries(Object.entries(COMPONENTS).map(([name, schema]) => [name, toDocumentSchema(schema, true)]))
}
