// Fastify paths name parameters `/:ticketId`; the OpenAPI document uses the wire names,
// `/{ticket-id}`. This is the one place that translates between the two.
import { PATH_PARAMETERS, type PathParameter } from '../../contract/path-parameters.js'

const parameterName = (segment: string) => (segment.startsWith(':') ? segment.slice(1) : undefined)

function pathParameter(name: string, url: string): PathParameter {
  const parameter = PATH_PARAMETERS[name]
  if (!parameter) throw new Error(`${url}: path parameter :${name} is not described in src/contract/path-parameters.ts`)
  return parameter
}

/** The path parameters of a Fastify route path, in order. */
export function pathParametersOf(url: string): PathParameter[] {
  return url.split('/').flatMap((segment) => {
    const name = parameterName(segment)
    return name === undefined ? [] : [pathParameter(name, url)]
  })
}

/** `/v2/tickets/tickets/:ticketId` → `/v2/tickets/tickets/{ticket-id}`. */
export function openApiPath(url: string): string {
  return url
    .split('/')
    .map((segment) => {
      const name = parameterName(segment)
      return name === undefined ? segment : `{${pathParameter(name, url).name}}`
    })
    .join('/')
}
