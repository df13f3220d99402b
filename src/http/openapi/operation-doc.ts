// What a route declares about itself for the OpenAPI document, in its `config.openapi`.
// Only what cannot be derived is written here: the path, method, path parameters, body and
// response schemas come from the route itself, and the common error responses from its
// scope, path parameters and body (see standard-responses.ts).
import type { TSchema } from 'typebox'

/** A response; `schema` defaults to the route's `schema.response[status]`. */
export interface ResponseDoc {
  description: string
  schema?: TSchema
  /** Response headers, by name. */
  headers?: Record<string, TSchema>
  /** The body's media type (default application/json), e.g. text/event-stream for a live stream. */
  mediaType?: string
}

/** An OpenAPI parameter object whose `schema` may still be a TypeBox schema. */
export interface ParameterDoc {
  name: string
  in: 'query' | 'header' | 'path'
  schema: unknown
  [member: string]: unknown
}

export interface OperationDoc {
  operationId: string
  tags: string[]
  summary: string
  description?: string
  /** Query parameters the handler parses itself (the route has no querystring schema). */
  query?: readonly ParameterDoc[]
  /** Request headers the operation reads, by name (documented, not validated). */
  headers?: Record<string, TSchema>
  /** The body, when the handler parses it itself (the route has no body schema). */
  body?: TSchema
  /** Security requirements, when not the OAuth2 scope of `config.scope`. */
  security?: Array<Record<string, string[]>>
  /** Responses by status; a string is a problem document with that description. */
  responses: Partial<Record<number | 'default', ResponseDoc | string>>
}
