// The Tickets resource: list, read, and the write-back of the two externally owned fields.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { TicketSchema } from '../../contract/ticket.js'
import { TicketPatchSchema } from '../../contract/ticket-patch.js'
import { queryStringOf, splitQueryString } from '../../domain/query-string.js'
import { parseTicketQuery } from '../../domain/ticket-query.js'
import { getTicketDocument, listTicketsJson, updateTicket } from '../../domain/tickets.js'
import { FieldError, parseUuid } from '../../domain/values.js'
import { AppError } from '../../errors/app-error.js'
import type { AppContext } from '../context.js'
import { requireScope } from '../auth-hook.js'
import { documentEtag, ifMatchHolds, noneMatch, ticketEtag } from '../etag.js'
import { listResponseBody } from '../list-body.js'

export const TICKETS_PATH = '/v2/tickets/tickets'
export const TICKET_PATH = '/v2/tickets/tickets/:ticketId'

function ticketIdOf(request: FastifyRequest): string {
  const raw = (request.params as { ticketId: string }).ticketId
  try {
    return parseUuid(raw)
  } catch (error) {
    throw new AppError('invalid-path', `The ticket id "${raw}" is not a UUID.`, {
      errors: [{ in: 'path', name: 'ticket-id', detail: (error as FieldError).message }],
    })
  }
}

/** Single-ticket operations take no query parameters; a stray one is refused, not ignored. */
function refuseQueryParameters(request: FastifyRequest): void {
  const names = [...new Set(splitQueryString(queryStringOf(request.url)).map(([name]) => name))]
  if (names.length > 0)
    throw new AppError('invalid-query', `This operation takes no query parameters (got ${names.join(', ')}).`, {
      errors: names.map((name) => ({ in: 'query' as const, name, detail: 'is not a parameter of this endpoint' })),
    })
}

export function registerTicketRoutes(app: FastifyInstance, context: AppContext): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const read = requireScope(context, 'tickets:read')
  const write = requireScope(context, 'tickets:write')

  // The body is assembled from JSON the database produced (see list-body.ts), so no response
  // schema runs here; TicketListSchema still defines it, in the OpenAPI document and the tests.
  typed.get(TICKETS_PATH, { onRequest: read }, async (request, reply) => {
    const query = parseTicketQuery(queryStringOf(request.url))
    const page = await listTicketsJson(context.store, request.principal, query)
    return reply.type('application/json; charset=utf-8').send(listResponseBody(query.echo, page.resultJson, page.total, page.next))
  })

  // Path and query are checked before the body, so a bad id is reported as such.
  const checkTarget = async (request: FastifyRequest) => {
    ticketIdOf(request)
    refuseQueryParameters(request)
  }

  typed.get(TICKET_PATH, { onRequest: read, preValidation: checkTarget }, async (request, reply) => {
    const id = ticketIdOf(request)
    // The stored document is the body: no row to map, nothing to serialize (TicketSchema still
    // defines it, in the OpenAPI document and the tests that validate live responses).
    const document = await getTicketDocument(context.store, request.principal, id)
    const etag = documentEtag(document)
    reply.header('etag', etag)
    if (!noneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send(null)
    return reply.type('application/json; charset=utf-8').send(document)
  })

  typed.patch(
    TICKET_PATH,
    { onRequest: write, preValidation: checkTarget, schema: { body: TicketPatchSchema, response: { 200: TicketSchema } } },
    async (request, reply) => {
      const id = ticketIdOf(request)
      const ifMatch = request.headers['if-match']
      const ticket = await updateTicket(context.store, request.principal, id, request.body, {
        now: context.clock(),
        ...(ifMatch !== undefined ? { precondition: (current) => ifMatchHolds(ifMatch, ticketEtag(current)) } : {}),
      })
      request.log.info({ audit: 'ticket.updated', ticketId: id, fields: Object.keys(request.body) }, 'ticket updated')
      reply.header('etag', ticketEtag(ticket))
      return ticket
    },
  )
}
