// The cancel-reason catalogue: what `cancel` may name, and what reopening a ticket depends on.
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { CancelReasonSchema } from '../../contract/cancel-reason.js'
import { CollectionSchema } from '../../contract/collections.js'
import { collectionParameters, limitParameter, offsetParameter, parseCollectionQuery } from '../../domain/collection-query.js'
import { queryStringOf } from '../../domain/query-string.js'
import { AppError } from '../../errors/app-error.js'
import type { AppContext } from '../context.js'
import type { OperationDoc } from '../openapi/operation-doc.js'
import { pathId, refuseQueryParameters } from '../route-params.js'

export const CANCEL_REASONS_PATH = '/v2/tickets/cancel-reasons'
export const CANCEL_REASON_PATH = `${CANCEL_REASONS_PATH}/:cancelReasonId`

const QUERY = { limit: limitParameter('cancel reasons'), offset: offsetParameter('cancel reasons') }

export const CancelReasonListSchema = CollectionSchema(
  CancelReasonSchema,
  'CancelReasonList',
  Type.Object({ limit: QUERY.limit.schema, offset: QUERY.offset.schema }, { description: 'Applied query parameters, including defaults.' }),
)

export function registerCancelReasonRoutes(app: FastifyInstance, context: AppContext): void {
  const listDoc: OperationDoc = {
    operationId: 'listCancelReasons',
    tags: ['Cancel reasons'],
    summary: 'Retrieve cancel reasons',
    description: 'The catalogue, by id. `cancel` needs a manually applicable reason; `reopen` needs one that allows reopening.',
    query: collectionParameters(QUERY),
    responses: { 200: { description: 'Successful response.', schema: CancelReasonListSchema } },
  }
  app.get(
    CANCEL_REASONS_PATH,
    { schema: { response: { 200: CancelReasonListSchema } }, config: { scope: 'tickets:read', openapi: listDoc } },
    async (request) => {
      const { values, echo } = parseCollectionQuery(queryStringOf(request.url), QUERY)
      const page = await context.store.listCancelReasons({ limit: values.limit!, offset: values.offset! })
      return { query: echo, ...page }
    },
  )

  const getDoc: OperationDoc = {
    operationId: 'getCancelReason',
    tags: ['Cancel reasons'],
    summary: 'Retrieve cancel reason',
    responses: { 200: { description: 'Successful response.', schema: CancelReasonSchema } },
  }
  app.get(
    CANCEL_REASON_PATH,
    {
      preValidation: async (request) => {
        pathId(request, 'cancelReasonId')
        refuseQueryParameters(request)
      },
      schema: { response: { 200: CancelReasonSchema } },
      config: { scope: 'tickets:read', openapi: getDoc },
    },
    async (request) => {
      const id = pathId(request, 'cancelReasonId')
      const reason = await context.store.getCancelReason(id)
      if (!reason) throw new AppError('cancel-reason-not-found', `No cancel reason ${id} is in the catalogue.`)
      return reason
    },
  )
}
