// Every path parameter of the API, by the name routes give it (`/:ticketId`). Routes name
// parameters in camelCase for Fastify, the wire uses the partner API's kebab-case names; the
// descriptions and error responses of the OpenAPI document come from here, so a new route
// under /tickets/:ticketId is documented without repeating them.
import Type, { type TSchema } from 'typebox'

export interface PathParameter {
  /** The name in the OpenAPI path and in problem `errors`. */
  name: string
  description: string
  schema: TSchema
  /** The 400 problem when the value is malformed. */
  invalid: string
  /** The 404 problem when nothing has this id. */
  notFound: string
}

export const PATH_PARAMETERS: Record<string, PathParameter> = {
  ticketId: {
    name: 'ticket-id',
    description: 'The identifier of the ticket you want to operate on.',
    schema: Type.String({ format: 'uuid' }),
    invalid: 'The ticket id is not a UUID.',
    notFound: 'No such ticket for this client.',
  },
  cancelReasonId: {
    name: 'cancel-reason-id',
    description: 'The identifier of the cancel reason.',
    schema: Type.Integer({ format: 'int64', minimum: 1 }),
    invalid: 'The cancel reason id is not a positive integer.',
    notFound: 'No such cancel reason in the catalogue.',
  },
  outsourceId: {
    name: 'outsource-id',
    description: 'The identifier of the outsource.',
    schema: Type.String({ format: 'uuid' }),
    invalid: 'The outsource id is not a UUID.',
    notFound: 'No such outsource made by your provider.',
  },
  webhookEndpointId: {
    name: 'webhook-endpoint-id',
    description: 'The identifier of the webhook endpoint.',
    schema: Type.String({ format: 'uuid' }),
    invalid: 'The webhook endpoint id is not a UUID.',
    notFound: 'No such webhook endpoint of your provider.',
  },
}
