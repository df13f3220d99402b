// Path and query checks shared by the resource routes: ids are parsed before anything else, so
// a malformed one is reported as such, and operations without query parameters refuse stray ones.
import type { FastifyRequest } from 'fastify'
import { PATH_PARAMETERS } from '../contract/path-parameters.js'
import { queryStringOf, splitQueryString } from '../domain/query-string.js'
import { type FieldError, parseBoundedInteger, parseUuid } from '../domain/values.js'
import { AppError } from '../errors/app-error.js'

const PARSERS = {
  ticketId: parseUuid,
  outsourceId: parseUuid,
  webhookEndpointId: parseUuid,
  cancelReasonId: (raw: string) => parseBoundedInteger(raw, 1n, 2n ** 63n - 1n),
} as const

const NAMED = {
  ticketId: ['ticket id', 'a UUID'],
  outsourceId: ['outsource id', 'a UUID'],
  webhookEndpointId: ['webhook endpoint id', 'a UUID'],
  cancelReasonId: ['cancel reason id', 'a positive integer'],
} as const

type IdParameter = keyof typeof PARSERS

/** The path parameter, parsed, or a 400 invalid-path naming it. */
export function pathId<P extends IdParameter>(request: FastifyRequest, parameter: P): ReturnType<(typeof PARSERS)[P]> {
  const raw = (request.params as Record<string, string>)[parameter] ?? ''
  const described = PATH_PARAMETERS[parameter]!
  try {
    return PARSERS[parameter](raw) as ReturnType<(typeof PARSERS)[P]>
  } catch (error) {
    const [noun, what] = NAMED[parameter]
    throw new AppError('invalid-path', `The ${noun} "${raw}" is not ${what}.`, {
      errors: [{ in: 'path', name: described.name, detail: (error as FieldError).message }],
    })
  }
}

/** Single-resource operations take no query parameters; a stray one is refused, not ignored. */
export function refuseQueryParameters(request: FastifyRequest): void {
  const names = [...new Set(splitQueryString(queryStringOf(request.url)).map(([name]) => name))]
  if (names.length > 0)
    throw new AppError('invalid-query', `This operation takes no query parameters (got ${names.join(', ')}).`, {
      errors: names.map((name) => ({ in: 'query' as const, name, detail: 'is not a parameter of this endpoint' })),
    })
}
