// The error responses an operation has because of what it is, not because of what it does:
// a scoped route can be refused a token, a route with an id in its path can name a malformed
// or unknown id, a route with a validated body can be sent a bad, large or non-JSON one.
// A route documents only the responses peculiar to it, and may override these.
import type { PathParameter } from '../../contract/path-parameters.js'
import { describeSize } from '../body-limits.js'

export interface RouteTraits {
  scoped: boolean
  pathParameters: PathParameter[]
  parsesQuery: boolean
  /** Accepted media types and size limit of a schema-validated body. */
  body?: { accepts: string[]; limit: number }
}

const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json')

/** Problem descriptions by status; later rules win, so the most specific 400 is kept. */
export function standardResponses(route: RouteTraits): Record<string, string> {
  const responses: Record<string, string> = {}
  const [firstParameter] = route.pathParameters
  if (firstParameter) {
    responses['400'] = firstParameter.invalid
    responses['404'] = firstParameter.notFound
  }
  if (route.parsesQuery) responses['400'] = 'An invalid query parameter; `errors` names each one.'
  if (route.body) {
    const { accepts, limit } = route.body
    responses['400'] = 'An invalid body; `errors` names each member.'
    responses['413'] = `The body exceeds ${describeSize(limit)}.`
    responses['415'] = accepts.every(isJson) ? 'The body is not JSON.' : `The body is not ${accepts.join(' or ')}.`
  }
  if (route.scoped) {
    responses['401'] = 'Missing, malformed, expired or revoked access token.'
    responses['403'] = 'The token lacks the scope this operation needs.'
    responses['503'] = 'The ticket store is unavailable; retry after the Retry-After delay.'
    responses.default = 'An error occurred: see the status code and the problem document.'
  }
  return responses
}
