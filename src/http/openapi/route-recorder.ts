// Records the routes of an app as they are registered, so the OpenAPI document is assembled
// from the routes' own definitions. The options object itself is kept: hooks that run after
// this one (a group's `accepts`, its body limit) complete its config, and the document reads
// it once the app is ready.
import type { FastifyInstance, RouteOptions } from 'fastify'

export type RecordedRoute = Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config'>

/** The app's routes, filled in as they are registered. Fastify's automatic HEAD routes are left out. */
export function recordRoutes(app: FastifyInstance): readonly RecordedRoute[] {
  const routes: RecordedRoute[] = []
  app.addHook('onRoute', (route) => {
    if (route.method !== 'HEAD') routes.push(route)
  })
  return routes
}
