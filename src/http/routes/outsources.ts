// Outsources: the tickets your provider sent to partners, and how far each partner has got.
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { CollectionSchema } from '../../contract/collections.js'
import { OUTSOURCE_STATES, OutsourceSchema, type Outsource } from '../../contract/outsource.js'
import { StringEnum } from '../../contract/schema-helpers.js'
import { collectionParameters, limitParameter, offsetParameter, parseCollectionQuery } from '../../domain/collection-query.js'
import { queryStringOf } from '../../domain/query-string.js'
import { FieldError, parseUuid } from '../../domain/values.js'
import { AppError } from '../../errors/app-error.js'
import type { AppContext } from '../context.js'
import type { OperationDoc } from '../openapi/operation-doc.js'
import { pathId, refuseQueryParameters } from '../route-params.js'

export const OUTSOURCES_PATH = '/v2/tickets/outsources'
export const OUTSOURCE_PATH = `${OUTSOURCES_PATH}/:outsourceId`

function parseOutsourceState(raw: string): Outsource['state'] {
  if (!(OUTSOURCE_STATES as readonly string[]).includes(raw)) throw new FieldError(`must be one of ${OUTSOURCE_STATES.join(', ')}`)
  return raw as Outsource['state']
}

const QUERY = {
  ticket_id: { parse: parseUuid, schema: Type.String({ format: 'uuid' }), description: 'Only outsources of this ticket of yours.' },
  state: { parse: parseOutsourceState, schema: StringEnum(OUTSOURCE_STATES), description: 'Only outsources in this state.' },
  provider_id: { parse: parseUuid, schema: Type.String({ format: 'uuid' }), description: 'Only outsources to this partner.' },
  limit: limitParameter('outsources'),
  offset: offsetParameter('outsources'),
}

export const OutsourceListSchema = CollectionSchema(
  OutsourceSchema,
  'OutsourceList',
  Type.Object(
    {
      ticket_id: Type.Optional(QUERY.ticket_id.schema),
      state: Type.Optional(QUERY.state.schema),
      provider_id: Type.Optional(QUERY.provider_id.schema),
      limit: QUERY.limit.schema,
      offset: QUERY.offset.schema,
    },
    { description: 'Applied query parameters, including defaults.' },
  ),
)

export function registerOutsourceRoutes(app: FastifyInstance, context: AppContext): void {
  const listDoc: OperationDoc = {
    operationId: 'listOutsources',
    tags: ['Outsources'],
    summary: 'Retrieve outsources',
    description: 'The outsources your provider made, oldest first. Each one’s state follows the partner’s ticket.',
    query: collectionParameters(QUERY),
    responses: { 200: { description: 'Successful response.', schema: OutsourceListSchema } },
  }
  app.get(
    OUTSOURCES_PATH,
    { schema: { response: { 200: OutsourceListSchema } }, config: { scope: 'tickets:read', openapi: listDoc } },
    async (request) => {
      const { values, echo } = parseCollectionQuery(queryStringOf(request.url), QUERY)
      const { limit, offset, ...filters } = values
      const page = await context.store.listOutsources(
        { providerId: request.principal.providerId },
        Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)),
        { limit: limit!, offset: offset! },
      )
      return { query: echo, ...page }
    },
  )

  const getDoc: OperationDoc = {
    operationId: 'getOutsource',
    tags: ['Outsources'],
    summary: 'Retrieve outsource',
    responses: { 200: { description: 'Successful response.', schema: OutsourceSchema } },
  }
  app.get(
    OUTSOURCE_PATH,
    {
      preValidation: async (request) => {
        pathId(request, 'outsourceId')
        refuseQueryParameters(request)
      },
      schema: { response: { 200: OutsourceSchema } },
      config: { scope: 'tickets:read', openapi: getDoc },
    },
    async (request) => {
      const id = pathId(request, 'outsourceId')
      const outsource = await context.store.getOutsource({ providerId: request.principal.providerId }, id)
      if (!outsource) throw new AppError('outsource-not-found', `No outsource ${id} was made by your provider.`)
      return outsource
    },
  )
}
