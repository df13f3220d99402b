// What a provider does with one of its webhook endpoints beyond changing it: rotate its secret,
// send it a test event, read its delivery log, recover what it missed (webhooks:manage).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { CollectionSchema } from '../../contract/collections.js'
import { ULID_PATTERN } from '../../contract/ticket-event.js'
import { EmptyBodySchema } from '../../contract/transitions.js'
import {
  RotatedWebhookSecretSchema,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
  WebhookRecoverSchema,
} from '../../contract/webhook-endpoint.js'
import { collectionParameters, limitParameter, offsetParameter, parseCollectionQuery } from '../../domain/collection-query.js'
import { queryStringOf } from '../../domain/query-string.js'
import { FieldError } from '../../domain/values.js'
import { listDeliveries, recoverEndpoint, rotateSecret } from '../../webhooks/endpoints.js'
import { sendTestEvent } from '../../webhooks/test-event.js'
import type { AppContext } from '../context.js'
import type { OperationDoc } from '../openapi/operation-doc.js'
import { pathId } from '../route-params.js'
import { checkEndpointTarget, WEBHOOK_ENDPOINT_PATH } from './webhook-endpoints.js'

const QUERY = {
  event_id: {
    parse: (raw: string) => {
      if (!new RegExp(ULID_PATTERN).test(raw)) throw new FieldError('must be an event id (a 26-character ULID)')
      return raw
    },
    schema: Type.String({ pattern: ULID_PATTERN }),
    description: 'Only the attempts at this event.',
  },
  limit: limitParameter('attempts'),
  offset: offsetParameter('attempts'),
}

export const WebhookDeliveryListSchema = CollectionSchema(
  WebhookDeliverySchema,
  'WebhookDeliveryList',
  Type.Object(
    { event_id: Type.Optional(QUERY.event_id.schema), limit: QUERY.limit.schema, offset: QUERY.offset.schema },
    { description: 'Applied query parameters, including defaults.' },
  ),
)

/** An action without members may be sent without a body. */
async function checkBodilessAction(request: FastifyRequest): Promise<void> {
  await checkEndpointTarget(request)
  if (request.body === undefined) request.body = {}
}

export function registerWebhookActionRoutes(app: FastifyInstance, context: AppContext): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const scope = (request: FastifyRequest) => ({ providerId: request.principal.providerId })
  const config = (openapi: OperationDoc) => ({ scope: 'webhooks:manage' as const, openapi })

  const rotateDoc: OperationDoc = {
    operationId: 'rotateWebhookSecret',
    tags: ['Webhooks'],
    summary: 'Rotate a webhook endpoint’s secret',
    description:
      'A new signing secret, shown only in this answer. For 24 hours every delivery carries two signatures in ' +
      '`webhook-signature`, one with each secret, so your receiver can switch without missing a delivery.',
    responses: { 200: { description: 'The new secret.' } },
  }
  typed.post(
    `${WEBHOOK_ENDPOINT_PATH}/rotate-secret`,
    {
      preValidation: checkBodilessAction,
      schema: { body: EmptyBodySchema, response: { 200: RotatedWebhookSecretSchema } },
      config: config(rotateDoc),
    },
    async (request) => {
      const id = pathId(request, 'webhookEndpointId')
      const rotated = await rotateSecret(context.webhooks, scope(request), id)
      request.log.info({ audit: 'webhook.endpoint.secret-rotated', endpointId: id }, 'webhook secret rotated')
      return rotated
    },
  )

  const testDoc: OperationDoc = {
    operationId: 'testWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Send a test event',
    description:
      'POSTs a `webhook.test` event to the endpoint now (even a disabled one), signed like every delivery, and answers ' +
      'with the attempt’s outcome. It is logged with the deliveries and not retried.',
    responses: { 200: { description: 'The attempt: `succeeded`, the status your endpoint answered, or the error.' } },
  }
  typed.post(
    `${WEBHOOK_ENDPOINT_PATH}/test`,
    {
      preValidation: checkBodilessAction,
      schema: { body: EmptyBodySchema, response: { 200: WebhookDeliverySchema } },
      config: config(testDoc),
    },
    async (request) =>
      sendTestEvent(context.webhooks, scope(request), pathId(request, 'webhookEndpointId'), {
        type: 'client',
        id: request.principal.clientId,
      }),
  )

  const deliveriesDoc: OperationDoc = {
    operationId: 'listWebhookDeliveries',
    tags: ['Webhooks'],
    summary: 'Retrieve a webhook endpoint’s delivery attempts',
    description: 'Every attempt, newest first: the event, the attempt number, when, the answer or the error, and the next attempt.',
    query: collectionParameters(QUERY),
    responses: { 200: { description: 'Successful response.' } },
  }
  typed.get(
    `${WEBHOOK_ENDPOINT_PATH}/deliveries`,
    { schema: { response: { 200: WebhookDeliveryListSchema } }, config: config(deliveriesDoc) },
    async (request) => {
      const id = pathId(request, 'webhookEndpointId')
      const { values, echo } = parseCollectionQuery(queryStringOf(request.url), QUERY)
      const page = await listDeliveries(context.webhooks, scope(request), id, {
        limit: values.limit!,
        offset: values.offset!,
        ...(values.event_id !== undefined ? { eventId: values.event_id } : {}),
      })
      return { query: echo, ...page }
    },
  )

  const recoverDoc: OperationDoc = {
    operationId: 'recoverWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Redeliver events since a time',
    description:
      'Delivers again, in feed order, every subscribed event from the first one that occurred at or after `since` ' +
      '(events kept by the feed only), then carries on with newer ones. A waiting retry is made at once.',
    responses: {
      202: { description: 'Accepted: the endpoint, its position moved back.' },
      409: 'The endpoint is disabled: enable it first.',
    },
  }
  typed.post(
    `${WEBHOOK_ENDPOINT_PATH}/recover`,
    {
      preValidation: checkEndpointTarget,
      schema: { body: WebhookRecoverSchema, response: { 202: WebhookEndpointSchema } },
      config: config(recoverDoc),
    },
    async (request, reply) => {
      const id = pathId(request, 'webhookEndpointId')
      const recovered = await recoverEndpoint(context.webhooks, scope(request), id, request.body.since)
      request.log.info({ audit: 'webhook.endpoint.recovered', endpointId: id, since: request.body.since }, 'webhook endpoint recovered')
      return reply.code(202).send(recovered)
    },
  )
}
