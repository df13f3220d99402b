// The list response body, assembled from parts that are already JSON: the page is the stored
// ticket documents (migration 0005) joined into an array, the `query` echo comes from a
// serializer compiled once from its schema. Nothing proportional to the page size is parsed or
// re-serialized in Node.
import fastJson from 'fast-json-stringify'
import { AppliedQuerySchema } from '../contract/list-tickets.js'

const stringifyEcho = fastJson(AppliedQuerySchema as never)

export function listResponseBody(echo: Record<string, unknown>, resultJson: string, total: number, next: string | null): string {
  return `{"query":${stringifyEcho(echo)},"result":${resultJson},"total":${total},"next":${next === null ? 'null' : JSON.stringify(next)}}`
}
