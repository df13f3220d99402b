// The per-state collections (/v2/tickets/prepared-tickets, …/pending-tickets, …): one list and
// one single-ticket operation per view of domain/state-views.ts, all registered from that table.
import type { FastifyInstance } from 'fastify'
import { STATE_VIEW_PARAMETERS, STATE_VIEW_SCHEMAS } from '../../contract/state-views.js'
import { queryStringOf } from '../../domain/query-string.js'
import { STATE_VIEWS, STATE_VIEW_FILTERS, type StateView } from '../../domain/state-views.js'
import { parseTicketQuery } from '../../domain/ticket-query.js'
import { AppError } from '../../errors/app-error.js'
import type { AppContext } from '../context.js'
import type { OperationDoc } from '../openapi/operation-doc.js'
import { pathId, refuseQueryParameters } from '../route-params.js'

export const stateViewPath = (view: StateView) => `/v2/tickets/${view.slug}`

const stateName = (view: StateView) => view.state.replace('_', ' ')

export function registerStateCollectionRoutes(app: FastifyInstance, context: AppContext): void {
  for (const view of STATE_VIEWS) {
    const { item, list } = STATE_VIEW_SCHEMAS.get(view)!
    const path = stateViewPath(view)

    const listDoc: OperationDoc = {
      operationId: `list${view.noun}Tickets`,
      tags: ['Tickets by state'],
      summary: `Retrieve ${stateName(view)} tickets`,
      description:
        `${view.summary} Your provider's tickets in the ${view.state} state, ordered by created_at then id (no sort_by, no after). ` +
        `Takes ${STATE_VIEW_FILTERS.join(', ')}, limit and offset; any other parameter, a repeated one or an empty value is rejected.`,
      query: STATE_VIEW_PARAMETERS,
      responses: { 200: { description: 'Successful response.', schema: list } },
    }
    app.get(path, { schema: { response: { 200: list } }, config: { scope: 'tickets:read', openapi: listDoc } }, async (request) => {
      const query = parseTicketQuery(queryStringOf(request.url), { filters: STATE_VIEW_FILTERS, ordering: false })
      const page = await context.store.listStateView({ providerId: request.principal.providerId }, view, query)
      return { query: query.echo, ...page }
    })

    const getDoc: OperationDoc = {
      operationId: `get${view.noun}Ticket`,
      tags: ['Tickets by state'],
      summary: `Retrieve ${stateName(view)} ticket`,
      description: `Retrieve a single ${stateName(view)} ticket by its identifier: 404 when it is not your provider's or not ${stateName(view)}.`,
      responses: { 200: { description: 'Successful response.', schema: item } },
    }
    app.get(
      `${path}/:ticketId`,
      {
        preValidation: async (request) => {
          pathId(request, 'ticketId')
          refuseQueryParameters(request)
        },
        schema: { response: { 200: item } },
        config: { scope: 'tickets:read', openapi: getDoc },
      },
      async (request) => {
        const id = pathId(request, 'ticketId')
        const ticket = await context.store.getStateViewItem({ providerId: request.principal.providerId }, view, id)
        if (!ticket) throw new AppError('ticket-not-found', `No ${stateName(view)} ticket ${id} exists for this client.`)
        return ticket
      },
    )
  }
}
