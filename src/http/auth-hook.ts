// The onRequest hook that guards /v2 routes: it authenticates before the body is read, so an
// anonymous caller learns nothing about validation, and puts the Principal on the request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authenticate, type Principal } from '../auth/bearer.js'
import type { Scope } from '../contract/oauth.js'
import type { ClientSlot } from '../limits/client-concurrency.js'
import type { AppContext } from './context.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal
    /** The client's concurrency slot this request holds (a long poll gives it back while it waits). */
    clientSlot: ClientSlot
  }
}

/**
 * Authenticates, counts the request against the client's rate limit, then waits for one of the
 * client's concurrency slots, held until the response is finished or the connection closes.
 */
export function requireScope(context: AppContext, scope: Scope | readonly Scope[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    request.principal = await authenticate(request.headers.authorization, scope, context.tokens, context.store)
    // Every later log line of this request, its completion line included, names who asked.
    nameCaller(request, { clientId: request.principal.clientId, providerId: request.principal.providerId })
    await context.rateLimits.admit('client', request.principal.clientId, request, reply)
    const slot = await context.concurrency.slot(request.principal.clientId)
    request.clientSlot = slot
    // 'close' fires once the response is sent or the socket is gone, whichever comes first; a
    // caller that left while waiting for its slot gives it back at once.
    if (reply.raw.closed) slot.finish()
    else reply.raw.once('close', () => slot.finish())
  }
}

/**
 * Adds the bindings to the request's own logger, which Fastify makes for each request and
 * shares with the reply. A child logger would carry them too, but it makes the request's
 * logger the prototype of a new object, and V8 pays for that conversion on every request
 * (pino's child() was the largest cost of this hook in the get-by-id profile). The disabled
 * logger (one object for all requests, tests) has no setBindings and nothing to bind.
 */
function nameCaller(request: FastifyRequest, bindings: { clientId: string; providerId: string }): void {
  const log = request.log as FastifyRequest['log'] & { setBindings?: (bindings: object) => void }
  log.setBindings?.(bindings)
}

/** Every route registered after this with a `config.scope` is guarded by requireScope first. */
export function guardScopedRoutes(app: FastifyInstance, context: AppContext): void {
  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope
    if (scope === undefined) return
    const own = route.onRequest === undefined ? [] : [route.onRequest].flat()
    route.onRequest = [requireScope(context, scope), ...own]
  })
}
