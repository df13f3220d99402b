// The OpenAPI 3.1 document, generated from the same TypeBox schemas that validate and
// serialize, and from the field registry that drives the query parser. Served at
// /openapi.json, printed by `tickets openapi`, checked in as docs/openapi.json.
import { TicketListSchema } from '../contract/list-tickets.js'
import { SCOPES, TokenRequestSchema, TokenResponseSchema } from '../contract/oauth.js'
import { HealthSchema } from '../contract/health.js'
import { ProblemSchema } from '../contract/problem.js'
import { TicketSchema, TicketStateSchema } from '../contract/ticket.js'
import { TicketPatchSchema } from '../contract/ticket-patch.js'
import { FILTERS, FILTER_NAMES, PAGINATION, SORT_FIELD_NAMES, type FilterDef } from '../domain/ticket-fields.js'
import { ERROR_CATALOG } from '../errors/catalog.js'

type Json = Record<string, unknown>

// Subschemas with these titles become components and are referenced by $ref.
const COMPONENTS: Record<string, unknown> = {
  Ticket: TicketSchema,
  'Ticket-state': TicketStateSchema,
  TicketList: TicketListSchema,
  TicketPatch: TicketPatchSchema,
  Problem: ProblemSchema,
  TokenRequest: TokenRequestSchema,
  TokenResponse: TokenResponseSchema,
  Health: HealthSchema,
}

/** A plain JSON copy (TypeBox's symbol keys dropped) with titled subschemas as $refs. */
function toDocumentSchema(schema: unknown, isRoot = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => toDocumentSchema(item))
  if (typeof schema !== 'object' || schema === null) return schema
  const title = (schema as Json).title
  if (!isRoot && typeof title === 'string' && title in COMPONENTS) return { $ref: `#/components/schemas/${title}` }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, toDocumentSchema(value)]))
}
const ref = (name: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${name}` })

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
})

function listParameters(): Json[] {
  const filters = FILTER_NAMES.map((name) => {
    const def: FilterDef = FILTERS[name]
    const schema = toDocumentSchema(def.schema) as Json
    return {
      name,
      in: 'query',
      description: def.description,
      schema,
      ...(def.list ? { style: 'form', explode: false } : {}),
      ...(def.example ? { example: def.list ? def.example.split(',') : def.example } : {}),
      ...(name === 'vin' || name === 'external_reference' ? { allowEmptyValue: true } : {}),
    }
  })
  return [
    ...filters,
    {
      name: 'limit',
      in: 'query',
      description: 'Maximum number of tickets in the result (0 returns only the total).',
      schema: { type: 'integer', format: 'int32', minimum: 0, maximum: Number(PAGINATION.limit.max), default: PAGINATION.limit.default },
    },
    {
      name: 'offset',
      in: 'query',
      description: 'Number of matching tickets to skip.',
      schema: { type: 'integer', format: 'int64', minimum: 0, default: 0 },
    },
    {
      name: 'after',
      in: 'query',
      description:
        'Cursor from the `next` member of the previous page: only tickets after it in the sort order. Keep the same ' +
        'filters and sort_by while following cursors; each page then costs the same however deep the walk goes.',
      schema: { type: 'string' },
    },
    {
      name: 'sort_by',
      in: 'query',
      style: 'deepObject',
      explode: true,
      description:
        `Sort keys as sort_by[<field>]=asc|desc, applied in the order given; fields: ${SORT_FIELD_NAMES.join(', ')}. ` +
        'Nulls sort last in both directions; id ascending breaks ties. Default: sort_by[created_at]=asc.',
      schema: toDocumentSchema(TicketListSchema.properties.query.properties.sort_by),
      example: { created_at: 'desc' },
    },
  ]
}

const ticketIdParameter = {
  name: 'ticket-id',
  in: 'path',
  required: true,
  description: 'The identifier of the ticket you want to operate on.',
  schema: { type: 'string', format: 'uuid' },
}

const commonErrors = {
  '401': problemResponse('Missing, malformed, expired or revoked access token.'),
  '403': problemResponse('The token lacks the scope this operation needs.'),
  '503': problemResponse('The ticket store is unavailable; retry after the Retry-After delay.'),
  default: problemResponse('An error occurred: see the status code and the problem document.'),
}

export function buildOpenApiDocument(version = '0.1.0'): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tickets API',
      version,
      description:
        'Partner Tickets API: list, read and mark the tickets of your provider. Authenticate with the OAuth 2.0 ' +
        'client-credentials grant at /oauth2/token and send the token as a Bearer token. Every error is an RFC 9457 ' +
        `problem document whose \`code\` is one of: ${Object.keys(ERROR_CATALOG).join(', ')}.`,
    },
    paths: {
      '/v2/tickets/tickets': {
        get: {
          operationId: 'listTickets',
          tags: ['Tickets'],
          summary: 'Retrieve tickets',
          description: 'Retrieve a list of tickets. Unknown parameters, repeated single-valued parameters and empty values are rejected.',
          security: [{ OAuth2: ['tickets:read'] }],
          parameters: listParameters(),
          responses: {
            '200': { description: 'Successful response.', content: { 'application/json': { schema: ref('TicketList') } } },
            '400': problemResponse('An invalid query parameter; `errors` names each one.'),
            ...commonErrors,
          },
        },
      },
      '/v2/tickets/tickets/{ticket-id}': {
        parameters: [ticketIdParameter],
        get: {
          operationId: 'getTicket',
          tags: ['Tickets'],
          summary: 'Retrieve ticket',
          description: 'Retrieve a single ticket by its identifier. Supports If-None-Match with the ETag.',
          security: [{ OAuth2: ['tickets:read'] }],
          parameters: [{ name: 'If-None-Match', in: 'header', schema: { type: 'string' } }],
          responses: {
            '200': {
              description: 'Successful response.',
              headers: { ETag: { schema: { type: 'string' } } },
              content: { 'application/json': { schema: ref('Ticket') } },
            },
            '304': { description: 'The ticket still matches the If-None-Match entity tag.' },
            '400': problemResponse('The ticket id is not a UUID.'),
            '404': problemResponse('No such ticket for this client.'),
            ...commonErrors,
          },
        },
        patch: {
          operationId: 'updateTicket',
          tags: ['Tickets'],
          summary: 'Mark ticket',
          description:
            'Set external_reference and/or externally_processed (a JSON merge patch). Sets updated_at. ' +
            'Idempotent: sending the same patch again leaves the same field values. Send If-Match to update only an unchanged ticket.',
          security: [{ OAuth2: ['tickets:write'] }],
          parameters: [{ name: 'If-Match', in: 'header', schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: {
              'application/merge-patch+json': { schema: ref('TicketPatch') },
              'application/json': { schema: ref('TicketPatch') },
            },
          },
          responses: {
            '200': {
              description: 'The updated ticket.',
              headers: { ETag: { schema: { type: 'string' } } },
              content: { 'application/json': { schema: ref('Ticket') } },
            },
            '400': problemResponse('An invalid body; `errors` names each member.'),
            '404': problemResponse('No such ticket for this client.'),
            '412': problemResponse('If-Match does not match the current ETag.'),
            '413': problemResponse('The body exceeds 1 MiB.'),
            '415': problemResponse('The body is not JSON.'),
            ...commonErrors,
          },
        },
      },
      '/oauth2/token': {
        post: {
          operationId: 'issueToken',
          tags: ['Authentication'],
          summary: 'Issue an access token (client credentials)',
          security: [{}, { ClientBasic: [] }],
          requestBody: {
            required: true,
            content: { 'application/x-www-form-urlencoded': { schema: ref('TokenRequest') } },
          },
          responses: {
            '200': { description: 'A bearer token.', content: { 'application/json': { schema: ref('TokenResponse') } } },
            '400': problemResponse('invalid_request, unsupported_grant_type or invalid_scope (in `error`).'),
            '401': problemResponse('invalid_client (in `error`).'),
            default: problemResponse('An error occurred.'),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          tags: ['Operations'],
          summary: 'Liveness',
          responses: { '200': { description: 'The process is alive.', content: { 'application/json': { schema: ref('Health') } } } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          tags: ['Operations'],
          summary: 'Readiness (the store answers)',
          responses: {
            '200': { description: 'Ready.', content: { 'application/json': { schema: ref('Health') } } },
            '503': problemResponse('The store is unavailable.'),
          },
        },
      },
    },
    components: {
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, schema]) => [name, toDocumentSchema(schema, true)])),
      securitySchemes: {
        OAuth2: {
          type: 'oauth2',
          flows: {
            clientCredentials: {
              tokenUrl: '/oauth2/token',
              scopes: { 'tickets:read': 'Read tickets.', 'tickets:write': 'Mark tickets as processed.' } satisfies Record<
                (typeof SCOPES)[number],
                string
              >,
            },
          },
        },
        ClientBasic: { type: 'http', scheme: 'basic', description: 'client_id and client_secret as HTTP Basic credentials.' },
      },
    },
  }
}
