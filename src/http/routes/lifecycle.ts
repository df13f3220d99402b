// The lifecycle of a ticket: create it, move it (one POST per action), and read its history.
// Every POST honours Idempotency-Key; the actions honour If-Match like PATCH does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type, { type TSchema } from 'typebox'
import { TicketSchema } from '../../contract/ticket.js'
import { NewTicketSchema, type NewTicket } from '../../contract/ticket-create.js'
import { TicketEventListSchema } from '../../contract/ticket-event.js'
import {
  CancelBodySchema,
  CloseBodySchema,
  EmptyBodySchema,
  JoinBodySchema,
  OutsourceBodySchema,
  SubmitBodySchema,
} from '../../contract/transitions.js'
import { collectionParameters, limitParameter, parseCollectionQuery } from '../../domain/collection-query.js'
import { afterIdParameter } from '../../domain/event-feed-query.js'
import { createTicket } from '../../domain/lifecycle/create-ticket.js'
import { answerOnce, idempotencyKeyOf, type Answer } from '../../domain/lifecycle/idempotency.js'
import { ticketNotFound, type Operation } from '../../domain/lifecycle/operation.js'
import { ACTIONS, ACTION_NAMES, type Action } from '../../domain/lifecycle/state-machine.js'
import { runAction, type ActionBodies } from '../../domain/lifecycle/transitions.js'
import { queryStringOf } from '../../domain/query-string.js'
import type { AppContext } from '../context.js'
import { documentEtag } from '../etag.js'
import type { OperationDoc } from '../openapi/operation-doc.js'
import { pathId, refuseQueryParameters } from '../route-params.js'
import { preconditionOf, sendDocument, TICKETS_PATH, TICKET_PATH } from './tickets.js'

export const TICKET_EVENTS_PATH = `${TICKET_PATH}/events`

const ACTION_DOCS: Record<Action, { body: TSchema; summary: string; description: string }> = {
  submit: { body: SubmitBodySchema, summary: 'Submit a prepared ticket', description: 'prepared → pending. Opens the customer channel.' },
  join: {
    body: JoinBodySchema,
    summary: 'Join a ticket',
    description: 'pending → in_progress. Sets operator_id and service_started_at; assigned_at only for the first operator.',
  },
  release: {
    body: EmptyBodySchema,
    summary: 'Release a ticket',
    description: 'in_progress → pending. operator_id and assigned_at stay: the ticket has been in progress.',
  },
  close: { body: CloseBodySchema, summary: 'Close a ticket', description: 'in_progress → closed. Sets finished_at.' },
  cancel: {
    body: CancelBodySchema,
    summary: 'Cancel a ticket',
    description: 'prepared, pending or in_progress → cancelled, with a manually applicable reason from the catalogue. Sets finished_at.',
  },
  reopen: {
    body: EmptyBodySchema,
    summary: 'Reopen a cancelled ticket',
    description: 'cancelled → pending, when its cancel reason allows reopening. Clears cancel_reason_id and finished_at.',
  },
  outsource: {
    body: OutsourceBodySchema,
    summary: 'Outsource a ticket to a partner',
    description:
      'pending or in_progress → outsourced. Creates, atomically, the partner’s ticket (pending) and an outsource. What the partner ' +
      'does drives this ticket: closed there closes it here; cancelled there returns it here to pending.',
  },
  reclaim: {
    body: EmptyBodySchema,
    summary: 'Reclaim an outsourced ticket',
    description: 'outsourced → pending, while the partner has not started: the partner’s ticket and the outsource are cancelled.',
  },
}

const IDEMPOTENCY_HEADER = {
  'Idempotency-Key': Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'Retrying with the same key and body within 24 hours answers the first response again instead of acting twice.',
  }),
}

const EVENT_QUERY = {
  limit: limitParameter('events'),
  after_id: afterIdParameter,
}

function sendAnswer(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.status).header('etag', documentEtag(answer.document))
  if (answer.location !== null) reply.header('location', answer.location)
  if (answer.replayed) reply.header('idempotent-replayed', 'true')
  return sendDocument(reply, answer.document)
}

export function registerLifecycleRoutes(app: FastifyInstance, context: AppContext): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const operationOf = (request: FastifyRequest): Operation => ({
    principal: request.principal,
    now: context.clock(),
    ...preconditionOf(request.headers['if-match']),
  })
  const keyOf = (request: FastifyRequest) =>
    idempotencyKeyOf(request.headers['idempotency-key'], request.method, request.url.split('?')[0]!, request.body)

  const createDoc: OperationDoc = {
    operationId: 'createTicket',
    tags: ['Lifecycle'],
    summary: 'Create a ticket',
    description:
      'Creates a prepared or pending ticket for your provider. The server sets id, ticket_number, timestamps, ' +
      'source_provider_id and (for pending tickets) customer_channel_id.',
    headers: IDEMPOTENCY_HEADER,
    responses: {
      201: { description: 'The new ticket.', headers: { ETag: Type.String(), Location: Type.String() }, schema: TicketSchema },
      422: 'The Idempotency-Key was used with a different request.',
    },
  }
  typed.post(
    TICKETS_PATH,
    {
      preValidation: async (request) => refuseQueryParameters(request),
      schema: { body: NewTicketSchema },
      config: { scope: 'tickets:manage', openapi: createDoc },
    },
    async (request, reply) => {
      const operation = operationOf(request)
      const answer = await answerOnce(context.store, request.principal.clientId, operation.now, keyOf(request), async (ledger) => {
        const created = await createTicket(ledger, operation, request.body as NewTicket)
        return { status: 201, document: created.document, location: `${TICKETS_PATH}/${created.record.id}` }
      })
      request.log.info({ audit: 'ticket.created', ticketId: JSON.parse(answer.document).id }, 'ticket created')
      return sendAnswer(reply, answer)
    },
  )

  for (const action of ACTION_NAMES) {
    const { body, summary, description } = ACTION_DOCS[action]
    const doc: OperationDoc = {
      operationId: `${action}Ticket`,
      tags: ['Lifecycle'],
      summary,
      description: `${description} Answers 409 when the ticket's state does not allow it (the problem names the state and what it allows).`,
      headers: { 'If-Match': Type.String(), ...IDEMPOTENCY_HEADER },
      responses: {
        200: { description: 'The ticket after the action.', headers: { ETag: Type.String() }, schema: TicketSchema },
        409: `The ticket's state does not allow ${action}.`,
        412: 'If-Match does not match the current ETag.',
        ...(action === 'cancel' || action === 'outsource'
          ? { 422: action === 'cancel' ? 'The cancel reason is unknown or not manually applicable.' : 'The provider is not a partner.' }
          : { 422: 'The Idempotency-Key was used with a different request.' }),
      },
    }
    const required = ((body as { required?: string[] }).required ?? []).length > 0
    typed.post(
      `${TICKET_PATH}/${action}`,
      {
        preValidation: async (request) => {
          pathId(request, 'ticketId')
          refuseQueryParameters(request)
          // An action with nothing required may be sent without a body.
          if (!required && request.body === undefined) request.body = {}
        },
        schema: { body },
        config: { scope: 'tickets:manage', openapi: doc },
      },
      async (request, reply) => {
        const id = pathId(request, 'ticketId')
        const operation = operationOf(request)
        const answer = await answerOnce(context.store, request.principal.clientId, operation.now, keyOf(request), async (ledger) => {
          const written = await runAction(ledger, operation, id, action, request.body as ActionBodies[typeof action])
          return { status: 200, document: written.document, location: null }
        })
        request.log.info({ audit: `ticket.${action}`, ticketId: id, state: ACTIONS[action].to }, `ticket ${action}`)
        return sendAnswer(reply, answer)
      },
    )
  }

  const eventsDoc: OperationDoc = {
    operationId: 'listTicketEvents',
    tags: ['Lifecycle'],
    summary: 'Retrieve a ticket’s history',
    description:
      'Every change to the ticket, oldest first: its type, when, who (actor) and what changed (each field’s old and new value). ' +
      'Page with after_id (the last id you have). Tickets loaded by the bulk import have no history before their first change.',
    query: collectionParameters(EVENT_QUERY),
    responses: { 200: { description: 'The ticket’s events.', schema: TicketEventListSchema } },
  }
  typed.get(TICKET_EVENTS_PATH, { config: { scope: 'tickets:read', openapi: eventsDoc } }, async (request, reply) => {
    const id = pathId(request, 'ticketId')
    const { values, echo } = parseCollectionQuery(queryStringOf(request.url), EVENT_QUERY)
    const events = await context.store.ticketEvents({ providerId: request.principal.providerId }, id, {
      limit: values.limit ?? 25,
      ...(values.after_id !== undefined ? { afterId: values.after_id } : {}),
    })
    if (events === undefined) throw ticketNotFound(id)
    return reply.type('application/json; charset=utf-8').send(`{"query":${JSON.stringify(echo)},"result":[${events.join(',')}]}`)
  })
}
