// Renders every error as application/problem+json (RFC 9457). AppErrors carry their own slug;
// framework and database errors are translated here; anything else is a bug: a 500 without
// detail in the body, logged with the request id.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Problem, ProblemError } from '../contract/problem.js'
import { AppError, isAppError } from '../errors/app-error.js'
import { fromDatabaseError, isDataException } from '../errors/db-errors.js'
import { TICKET_FIELDS } from '../contract/ticket.js'
import { PATCHABLE_MEMBERS as PATCHABLE } from '../contract/ticket-patch.js'
import { allowedMethods } from './route-table.js'
import { BODY_LIMIT_BYTES, describeSize } from './body-limits.js'

interface AjvError {
  keyword: string
  instancePath: string
  message?: string
  params: Record<string, unknown>
}

/** The members a route's body schema declares (for naming what an unknown member could have been). */
export type BodyMembers = readonly string[] | undefined

function bodyError(error: AjvError, members: BodyMembers): ProblemError {
  const member = error.instancePath.slice(1).split('/')[0] ?? ''
  const isPatch = members === undefined || members.join() === PATCHABLE.join()
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(error.params.additionalProperty)
      if (isPatch)
        return {
          in: 'body',
          name,
          detail: (TICKET_FIELDS as string[]).includes(name)
            ? 'is read-only'
            : `is not a member of a ticket patch; patchable members are ${PATCHABLE.join(', ')}`,
        }
      return {
        in: 'body',
        name,
        detail:
          members.length > 0
            ? `is not a member of this request; its members are ${members.join(', ')}`
            : 'is not a member of this request, which takes none',
      }
    }
    case 'required':
      return { in: 'body', name: String(error.params.missingProperty), detail: 'is required' }
    case 'minProperties':
      return { in: 'body', name: 'body', detail: `must set at least one of ${PATCHABLE.join(', ')}` }
    case 'type':
      return member
        ? { in: 'body', name: member, detail: `must be a ${String(error.params.type)}` }
        : { in: 'body', name: 'body', detail: 'must be a JSON object' }
    case 'maxLength':
      return { in: 'body', name: member, detail: `must be at most ${String(error.params.limit)} characters` }
    case 'minLength':
      return { in: 'body', name: member, detail: `must be at least ${String(error.params.limit)} characters` }
    case 'pattern':
      return {
        in: 'body',
        name: member,
        detail: String(error.params.pattern).includes('u0000')
          ? 'must not contain the NUL character'
          : `must match ${String(error.params.pattern)}`,
      }
    case 'format':
      return { in: 'body', name: member, detail: `must be a ${String(error.params.format)}` }
    case 'minimum':
      return { in: 'body', name: member, detail: `must be at least ${String(error.params.limit)}` }
    case 'enum':
    case 'const':
    case 'anyOf':
      return { in: 'body', name: member, detail: error.message ?? 'is not one of the allowed values' }
    default:
      return { in: 'body', name: member || 'body', detail: error.message ?? 'is invalid' }
  }
}

function fromValidation(error: FastifyError, members: BodyMembers): AppError {
  // A union (e.g. 12v or 24v) reports each branch; one entry per member is enough.
  const seen = new Set<string>()
  const errors = (error.validation as AjvError[])
    .map((ajvError) => bodyError(ajvError, members))
    .filter((entry) => (seen.has(entry.name) ? false : (seen.add(entry.name), true)))
  const detail =
    errors.length === 1
      ? `The request body is invalid: ${errors[0]!.name} ${errors[0]!.detail}.`
      : `The request body is invalid: ${errors.map((e) => `${e.name} ${e.detail}`).join('; ')}.`
  return new AppError('invalid-body', detail, { errors })
}

function fromFramework(error: FastifyError, accepts: string[], bodyLimit: number, members: BodyMembers): AppError | undefined {
  if (error.validation) return fromValidation(error, members)
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload-too-large', `The request body is larger than the ${describeSize(bodyLimit)} limit.`)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported-media-type', `This content type is not accepted here; send ${accepts.join(' or ')}.`, {
        errors: [{ in: 'header', name: 'content-type', detail: `must be ${accepts.join(' or ')}` }],
      })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid-body', 'The request body is empty but its content type says JSON.')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid-body', 'The request body does not match its Content-Length.')
  }
  // The JSON parser's syntax errors (and prototype-poisoning refusals) arrive as 400s.
  if (error.statusCode === 400) return new AppError('invalid-body', 'The request body is not valid JSON.')
  return undefined
}

export function toAppError(
  error: unknown,
  accepts: string[] = [],
  bodyLimit = BODY_LIMIT_BYTES,
  members?: BodyMembers,
): AppError | undefined {
  if (isAppError(error)) return error
  return fromDatabaseError(error) ?? fromFramework(error as FastifyError, accepts, bodyLimit, members)
}

function problemOf(error: AppError): Problem {
  return {
    type: 'about:blank',
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.slug,
    ...(error.extras.errors ? { errors: error.extras.errors } : {}),
    ...error.extras.members,
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The problem code answered, for metrics and logs. */
    problemCode?: string
  }
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  reply.request.problemCode = error.slug
  for (const [name, value] of Object.entries(error.extras.headers ?? {})) reply.header(name, value)
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send(JSON.stringify(problemOf(error)))
}

const INTERNAL = new AppError('internal', 'An unexpected error occurred; it has been logged.')

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const config = (request.routeOptions.config ?? {}) as { oauthErrors?: boolean; accepts?: string[]; bodyLimit?: number }
    const bodySchema = request.routeOptions.schema?.body as { properties?: Record<string, unknown> } | undefined
    const members = bodySchema?.properties ? Object.keys(bodySchema.properties) : undefined
    const appError = toAppError(error, config.accepts ?? [], config.bodyLimit, members)
    if (!appError || appError.status >= 500) {
      request.log.error({ err: error, requestId: request.id }, 'request failed')
    } else if (isDataException(error)) {
      // A 400 for the client, but a parser let the value through: worth fixing, hence warn.
      request.log.warn(
        { err: error, requestId: request.id, code: appError.slug },
        'the database refused a value the request parsers accepted',
      )
    } else {
      request.log.info({ code: appError.slug, status: appError.status }, appError.detail)
    }
    const problem = appError ?? INTERNAL
    // Stock OAuth clients read only the RFC 6749 `error` member: give every token-endpoint
    // 4xx one, including those raised before the route ran (415, 413, bad bodies).
    if (config.oauthErrors === true && problem.status < 500 && !problem.extras.members?.error)
      return sendProblem(reply, new AppError(problem.slug, problem.detail, { ...problem.extras, members: { error: 'invalid_request' } }))
    return sendProblem(reply, problem)
  })

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? request.url
    const allowed = allowedMethods(app, path)
    if (allowed.length > 0) {
      return sendProblem(
        reply,
        new AppError('method-not-allowed', `${request.method} is not supported on ${path}; use ${allowed.join(', ')}.`, {
          headers: { allow: allowed.join(', ') },
        }),
      )
    }
    return sendProblem(reply, new AppError('not-found', `There is no resource at ${path}.`))
  })
}
