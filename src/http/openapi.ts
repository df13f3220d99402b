// The OpenAPI 3.1 document, assembled from the routes' own definitions: each route carries its
// operation in `config.openapi`, its schemas are the TypeBox schemas that validate and
// serialize, and the list filters come from the field registry that drives the query parser.
// Served at /openapi.json, printed by `tickets openapi`, checked in as docs/openapi.json.
import Fastify from 'fastify'
import type { AppContext } from './context.js'
import { openApiDocument } from './openapi/document.js'
import { registerRoutes } from './register-routes.js'

// The document needs the route table, not a store: the routes are registered on an app that
// is never started, over a context that handlers and hooks would reach only per request.
const NO_CONTEXT = new Proxy({} as AppContext, {
  get(_target, member) {
    throw new Error(`the route table built for the OpenAPI document serves no requests (it read context.${String(member)})`)
  },
})

export async function buildOpenApiDocument(version?: string): Promise<Record<string, unknown>> {
  const app = Fastify()
  try {
    const routes = await registerRoutes(app, NO_CONTEXT)
    await app.ready()
    return openApiDocument(routes, version)
  } finally {
    await app.close()
  }
}
