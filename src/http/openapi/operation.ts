// One route → one OpenAPI operation: what the route declares in `config.openapi`, its schemas,
// and the responses its scope, path and body imply.
import { BODY_LIMIT_BYTES } from '../body-limits.js'
import type { ParameterDoc, ResponseDoc } from './operation-doc.js'
import { openApiPath, pathParametersOf } from './openapi-path.js'
import type { RecordedRoute } from './route-recorder.js'
import { ref, toDocumentSchema } from './schemas.js'
import { standardResponses } from './standard-responses.js'

type Json = Record<string, unknown>

export interface DescribedOperation {
  path: string
  method: string
  /** Parameters shared by every operation on the path (its path parameters). */
  pathParameters: Json[]
  operation: Json
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } })

// Members keep their order, so the document reads as the parameter was written.
const parameter = (declared: ParameterDoc): Json =>
  Object.fromEntries(Object.entries(declared).map(([key, value]) => [key, key === 'schema' ? toDocumentSchema(value) : value]))

function response(described: ResponseDoc | string, schema: unknown): Json {
  if (typeof described === 'string') return problem(described)
  const body = described.schema ?? schema
  return {
    description: described.description,
    ...(described.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(described.headers).map(([name, header]) => [name, { schema: toDocumentSchema(header) }]),
          ),
        }
      : {}),
    ...(body ? { content: { [described.mediaType ?? 'application/json']: { schema: toDocumentSchema(body) } } } : {}),
  }
}

// An operation has one method; a route registered for several would need one document each.
function singleMethod(route: RecordedRoute): string {
  const methods = [route.method].flat()
  if (methods.length !== 1) throw new Error(`${route.url}: document each method as a route of its own (got ${methods.join(', ')})`)
  return methods[0]!
}

function bodyRequired(body: unknown): boolean {
  const { required = [], minProperties = 0 } = body as { required?: string[]; minProperties?: number }
  return required.length > 0 || minProperties > 0
}

/** The operation a route documents, or undefined when it carries no `config.openapi`. */
export function describeOperation(route: RecordedRoute): DescribedOperation | undefined {
  const config = route.config ?? {}
  const doc = config.openapi
  if (!doc) return undefined
  const pathParameters = pathParametersOf(route.url)
  const validatedBody = route.schema?.body
  const body = validatedBody ?? doc.body
  const accepts = config.accepts ?? []
  if (body && accepts.length === 0) throw new Error(`${route.url}: a route with a body needs the media types it accepts (config.accepts)`)
  const serialized = (route.schema?.response ?? {}) as Record<string, unknown>
  const parameters = [
    ...(doc.query ?? []),
    ...Object.entries(doc.headers ?? {}).map(([name, schema]) => ({ name, in: 'header' as const, schema })),
  ].map(parameter)
  // A list of scopes is a choice: each is an alternative security requirement.
  const scopes = config.scope === undefined ? [] : [config.scope].flat()
  const security = doc.security ?? (scopes.length > 0 ? scopes.map((scope) => ({ OAuth2: [scope] })) : undefined)
  const described: Record<string, ResponseDoc | string> = {
    ...standardResponses({
      scoped: config.scope !== undefined,
      pathParameters,
      parsesQuery: doc.query !== undefined,
      ...(validatedBody ? { body: { accepts, limit: config.bodyLimit ?? BODY_LIMIT_BYTES } } : {}),
    }),
    ...(doc.responses as Record<string, ResponseDoc | string>),
  }
  const operation: Json = {
    operationId: doc.operationId,
    tags: doc.tags,
    summary: doc.summary,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    ...(security ? { security } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body
      ? {
          requestBody: {
            // A body whose schema asks for nothing may be left out (the route treats none as {}).
            required: bodyRequired(body),
            content: Object.fromEntries(accepts.map((type) => [type, { schema: toDocumentSchema(body) }])),
          },
        }
      : {}),
    responses: Object.fromEntries(Object.entries(described).map(([status, entry]) => [status, response(entry, serialized[status])])),
  }
  return {
    path: openApiPath(route.url),
    method: singleMethod(route).toLowerCase(),
    pathParameters: pathParameters.map(({ name, description, schema }) => ({
      name,
      in: 'path',
      required: true,
      description,
      schema: toDocumentSchema(schema),
    })),
    operation,
  }
}
