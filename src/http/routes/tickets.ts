// The Tickets resource: list, read, and the PATCH of a ticket's writable fields.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { TICKET_LIST_PARAMETERS } from '../../contract/list-query-parameters.js'
import { TicketListSchema } from '../../contract/list-tickets.js'
import { TicketSchema } from '../../contract/ticket.js'
import { TicketPatchSchema } from '../../contract/ticket-patch.js'
import { queryStringOf } from '../../domain/query-string.js'
import { parseTicketQuery } from '../../domain/ticket-query.js'
import { assertPatchScopes, patchTicket } from '../../domain/lifecycle/patch-ticket.js'
import { getTicketDocument, listTicketsJson } from '../../domain/tickets.js'
import type { AppContext } from '../context.js'
import { pathId, refuseQueryParameters } from '../route-params.js'
import { documentEtag, ifMatchHolds, noneMatch } from '../etag.js'
import { listResponseBody } from '../list-body.js'
import type { OperationDoc } from '../openapi/operation-doc.js'

export const TICKETS_PATH = '/v2/tickets/tickets'
export const TICKET_PATH = '/v2/tickets/tickets/:ticketId'

const ticketIdOf = (request: FastifyRequest) => pathId(request, 'ticketId')

/**
 * Sends a stored document as the body, as it is. A string with a JSON content type never goes
 * through a response serializer, so a route's response schema only documents such a body
 * (the PATCH tests pin its bytes to GET's). Typed loosely: the schema's type is the object.
 */
/** If-Match as the lifecycle's precondition: compared with the locked ticket's stored document. */
export function preconditionOf(ifMatch: string | undefined) {
  return ifMatch === undefined ? {} : { precondition: (document: string) => ifMatchHolds(ifMatch, documentEtag(document)) }
}

export function sendDocument(reply: FastifyReply, document: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(document)
}

export function registerTicketRoutes(app: FastifyInstance, context: AppContext): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()

  const listTicketsDoc: OperationDoc = {
    operationId: 'listTickets',
    tags: ['Tickets'],
    summary: 'Retrieve tickets',
    description: 'Retrieve a list of tickets. Unknown parameters, repeated single-valued parameters and empty values are rejected.',
    query: TICKET_LIST_PARAMETERS,
    responses: { 200: { description: 'Successful response.', schema: TicketListSchema } },
  }
  // The body is assembled from JSON the database produced (see list-body.ts), so no response
  // schema runs here; TicketListSchema still defines it, in the OpenAPI document and the tests.
  typed.get(TICKETS_PATH, { config: { scope: 'tickets:read', openapi: listTicketsDoc } }, async (request, reply) => {
    const query = parseTicketQuery(queryStringOf(request.url))
    const page = await listTicketsJson(context.store, request.principal, query)
    return reply.type('application/json; charset=utf-8').send(listResponseBody(query.echo, page.resultJson, page.total, page.next))
  })

  // Path and query are checked before the body, so a bad id is reported as such.
  const checkTarget = async (request: FastifyRequest) => {
    ticketIdOf(request)
    refuseQueryParameters(request)
  }

  const getTicketDoc: OperationDoc = {
    operationId: 'getTicket',
    tags: ['Tickets'],
    summary: 'Retrieve ticket',
    description: 'Retrieve a single ticket by its identifier. Supports If-None-Match with the ETag.',
    headers: { 'If-None-Match': Type.String() },
    responses: {
      200: { description: 'Successful response.', headers: { ETag: Type.String() }, schema: TicketSchema },
      304: { description: 'The ticket still matches the If-None-Match entity tag.' },
    },
  }
  typed.get(
    TICKET_PATH,
    { preValidation: checkTarget, config: { scope: 'tickets:read', openapi: getTicketDoc } },
    async (request, reply) => {
      const id = ticketIdOf(request)
      // The stored document is the body: no row to map, nothing to serialize (TicketSchema still
      // defines it, in the OpenAPI document and the tests that validate live responses).
      const document = await getTicketDocument(context.store, request.principal, id)
      const etag = documentEtag(document)
      reply.header('etag', etag)
      if (!noneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send(null)
      return reply.type('application/json; charset=utf-8').send(document)
    },
  )

  const updateTicketDoc: OperationDoc = {
    operationId: 'updateTicket',
    tags: ['Tickets'],
    summary: 'Mark ticket',
    description:
      'Set external_reference and/or externally_processed (a JSON merge patch). Sets updated_at. ' +
      'Idempotent: sending the same patch again leaves the same field values. Send If-Match to update only an unchanged ticket.',
    headers: { 'If-Match': Type.String() },
    responses: {
      // Named here as well as in the response schema: the document states the shape whichever
      // way the body is produced (GET sends the stored document without a serializer).
      200: { description: 'The updated ticket.', headers: { ETag: Type.String() }, schema: TicketSchema },
      412: 'If-Match does not match the current ETag.',
    },
  }
  typed.patch(
    TICKET_PATH,
    {
      preValidation: checkTarget,
      schema: { body: TicketPatchSchema, response: { 200: TicketSchema } },
      config: { scope: ['tickets:write', 'tickets:manage'], openapi: updateTicketDoc },
    },
    async (request, reply) => {
      const id = ticketIdOf(request)
      assertPatchScopes(request.body, request.principal.scopes)
      const ifMatch = request.headers['if-match']
      // If-Match is held against the tag GET gives: both come from the stored document.
      const { document } = await context.store.writeOnce((ledger) =>
        patchTicket(ledger, { principal: request.principal, now: context.clock(), ...preconditionOf(ifMatch) }, id, request.body),
      )
      request.log.info({ audit: 'ticket.updated', ticketId: id, fields: Object.keys(request.body) }, 'ticket updated')
      reply.header('etag', documentEtag(document))
      return sendDocument(reply, document)
    },
  )
}
