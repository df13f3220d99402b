// Every route of the API, in its group, with the media types each group accepts. buildApp
// registers them over a live context; buildOpenApiDocument registers them over none, to read
// the documentation they carry.
import type { FastifyInstance } from 'fastify'
import { guardScopedRoutes } from './auth-hook.js'
import { BODY_LIMIT_BYTES, FORM_BODY_LIMIT_BYTES } from './body-limits.js'
import type { AppContext } from './context.js'
import { parseForm } from './form-body.js'
import { recordRoutes, type RecordedRoute } from './openapi/route-recorder.js'
import { registerDocsRoutes } from './routes/docs.js'
import { registerHealthRoutes } from './routes/health.js'
import { registerOAuthRoutes } from './routes/oauth.js'
import { registerTicketRoutes } from './routes/tickets.js'
import { registerLifecycleRoutes } from './routes/lifecycle.js'
import { registerCancelReasonRoutes } from './routes/cancel-reasons.js'
import { registerOutsourceRoutes } from './routes/outsources.js'
import { registerStateCollectionRoutes } from './routes/state-collections.js'
import { registerSystemEventRoutes } from './routes/system-events.js'
import { registerWebhookEndpointRoutes } from './routes/webhook-endpoints.js'
import { registerWebhookActionRoutes } from './routes/webhook-actions.js'
import { registerEventStreamRoute } from './routes/event-stream.js'
import { registerEventsWebsocketRoute } from './routes/events-websocket.js'
import './route-config.js'

/** Registers the routes and returns them as recorded (complete once the app is ready). */
export async function registerRoutes(app: FastifyInstance, context: AppContext): Promise<readonly RecordedRoute[]> {
  const routes = recordRoutes(app)
  guardScopedRoutes(app, context)
  // Each group of routes accepts only its own media types (encapsulated parsers), so a JSON
  // token request or a form-encoded PATCH is a clear 415 rather than a confusing 400.
  app.removeAllContentTypeParsers()
  await app.register(async (tickets) => {
    tickets.addHook('onRoute', (route) => {
      route.config = { ...route.config, accepts: ['application/json', 'application/merge-patch+json'], bodyLimit: BODY_LIMIT_BYTES }
    })
    tickets.addContentTypeParser(
      ['application/json', 'application/merge-patch+json'],
      { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
      tickets.getDefaultJsonParser('error', 'error'),
    )
    registerTicketRoutes(tickets, context)
    registerLifecycleRoutes(tickets, context)
    registerCancelReasonRoutes(tickets, context)
    registerOutsourceRoutes(tickets, context)
    registerStateCollectionRoutes(tickets, context)
    registerSystemEventRoutes(tickets, context)
    registerWebhookEndpointRoutes(tickets, context)
    registerWebhookActionRoutes(tickets, context)
    registerEventStreamRoute(tickets, context)
  })
  await app.register(async (oauth) => {
    oauth.addHook('onRoute', (route) => {
      route.config = { ...route.config, accepts: ['application/x-www-form-urlencoded'], bodyLimit: FORM_BODY_LIMIT_BYTES }
    })
    // Counted before the body is even read: a flood from one address costs a refusal each.
    oauth.addHook('onRequest', (request, reply) => context.rateLimits.admit('token-address', request.ip, request, reply))
    oauth.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES },
      (_request, body, done) => {
        try {
          done(null, parseForm(body as string))
        } catch (error) {
          done(error as Error, undefined)
        }
      },
    )
    registerOAuthRoutes(oauth, context)
  })
  await registerEventsWebsocketRoute(app, context)
  registerHealthRoutes(app, context)
  registerDocsRoutes(app, routes)
  return routes
}
