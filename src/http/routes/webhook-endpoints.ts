// Webhook endpoints of your provider: create, list, read, change, delete (webhooks:manage).
// The checks and the scoping are in src/webhooks/endpoints.ts, shared with the CLI.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { CollectionSchema } from '../../contract/collections.js'
import {
  CreatedWebhookEndpointSchema,
  NewWebhookEndpointSchema,
  WebhookEndpointPatchSchema,
  WebhookEndpointSchema,
} from '../../contract/webhook-endpoint.js'
import { collectionParameters, limitParameter, offsetParameter, parseCollectionQuery } from '../../domain/collection-query.js'
import { queryStringOf } from '../../domain/query-string.js'
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, updateEndpoint } from '../../webhooks/endpoints.js'
import type { AppContext } from '../context.js'
import type { OperationDoc } from '../openapi/operation-doc.js'
import { pathId, refuseQueryParameters } from '../route-params.js'

export const WEBHOOK_ENDPOINTS_PATH = '/v2/system/webhook-endpoints'
export const WEBHOOK_ENDPOINT_PATH = `${WEBHOOK_ENDPOINTS_PATH}/:webhookEndpointId`

const QUERY = { limit: limitParameter('endpoints'), offset: offsetParameter('endpoints') }

export const WebhookEndpointListSchema = CollectionSchema(
  WebhookEndpointSchema,
  'WebhookEndpointList',
  Type.Object({ limit: QUERY.limit.schema, offset: QUERY.offset.schema }, { description: 'Applied query parameters, including defaults.' }),
)

const REFUSED_URL = 'The URL is refused: not https, or its host is (or resolves to) a private, loopback or link-local address.'

/** Checks the path id and refuses query parameters, before the body is validated. */
export async function checkEndpointTarget(request: FastifyRequest): Promise<void> {
  pathId(request, 'webhookEndpointId')
  refuseQueryParameters(request)
}

export function registerWebhookEndpointRoutes(app: FastifyInstance, context: AppContext): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const scope = (request: FastifyRequest) => ({ providerId: request.principal.providerId })
  const config = (openapi: OperationDoc) => ({ scope: 'webhooks:manage' as const, openapi })

  const createDoc: OperationDoc = {
    operationId: 'createWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Create a webhook endpoint',
    description:
      'Your provider’s events of the given types are POSTed to the URL from now on, signed as the Standard Webhooks ' +
      'specification says, in feed order. The answer carries the signing secret: it is shown only this once.',
    responses: {
      201: { description: 'The new endpoint and its signing secret.', headers: { Location: Type.String() } },
      422: `${REFUSED_URL} Or your provider has the most endpoints it may have.`,
    },
  }
  typed.post(
    WEBHOOK_ENDPOINTS_PATH,
    {
      preValidation: async (request) => refuseQueryParameters(request),
      schema: { body: NewWebhookEndpointSchema, response: { 201: CreatedWebhookEndpointSchema } },
      config: config(createDoc),
    },
    async (request, reply) => {
      const created = await createEndpoint(context.webhooks, scope(request), request.body)
      request.log.info({ audit: 'webhook.endpoint.created', endpointId: created.id, url: created.url }, 'webhook endpoint created')
      return reply.code(201).header('location', `${WEBHOOK_ENDPOINTS_PATH}/${created.id}`).send(created)
    },
  )

  const listDoc: OperationDoc = {
    operationId: 'listWebhookEndpoints',
    tags: ['Webhooks'],
    summary: 'Retrieve webhook endpoints',
    description: 'Your provider’s endpoints, oldest first, with where delivery to each stands.',
    query: collectionParameters(QUERY),
    responses: { 200: { description: 'Successful response.' } },
  }
  typed.get(
    WEBHOOK_ENDPOINTS_PATH,
    { schema: { response: { 200: WebhookEndpointListSchema } }, config: config(listDoc) },
    async (request) => {
      const { values, echo } = parseCollectionQuery(queryStringOf(request.url), QUERY)
      return { query: echo, ...(await listEndpoints(context.webhooks, scope(request), { limit: values.limit!, offset: values.offset! })) }
    },
  )

  const getDoc: OperationDoc = {
    operationId: 'getWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Retrieve webhook endpoint',
    responses: { 200: { description: 'Successful response.' } },
  }
  typed.get(
    WEBHOOK_ENDPOINT_PATH,
    { preValidation: checkEndpointTarget, schema: { response: { 200: WebhookEndpointSchema } }, config: config(getDoc) },
    async (request) => getEndpoint(context.webhooks, scope(request), pathId(request, 'webhookEndpointId')),
  )

  const updateDoc: OperationDoc = {
    operationId: 'updateWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Change a webhook endpoint',
    description:
      'Changes the URL, the event types, the description, or disables or enables the endpoint. A new URL retries a ' +
      'waiting event at once. Enabling resumes with the events that happen from then on; recover the ones in between.',
    responses: { 200: { description: 'The endpoint after the change.' }, 422: REFUSED_URL },
  }
  typed.patch(
    WEBHOOK_ENDPOINT_PATH,
    {
      preValidation: checkEndpointTarget,
      schema: { body: WebhookEndpointPatchSchema, response: { 200: WebhookEndpointSchema } },
      config: config(updateDoc),
    },
    async (request) => {
      const id = pathId(request, 'webhookEndpointId')
      const updated = await updateEndpoint(context.webhooks, scope(request), id, request.body)
      request.log.info({ audit: 'webhook.endpoint.updated', endpointId: id, fields: Object.keys(request.body) }, 'webhook endpoint updated')
      return updated
    },
  )

  const deleteDoc: OperationDoc = {
    operationId: 'deleteWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Delete a webhook endpoint',
    description: 'Nothing more is sent to it; its delivery log goes with it.',
    responses: { 204: { description: 'Deleted.' } },
  }
  typed.delete(WEBHOOK_ENDPOINT_PATH, { preValidation: checkEndpointTarget, config: config(deleteDoc) }, async (request, reply) => {
    const id = pathId(request, 'webhookEndpointId')
    await deleteEndpoint(context.webhooks, scope(request), id)
    request.log.info({ audit: 'webhook.endpoint.deleted', endpointId: id }, 'webhook endpoint deleted')
    return reply.code(204).send()
  })
}
