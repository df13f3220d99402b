// The onRequest hook that guards /v2 routes: it authenticates before the body is read, so an
// anonymous caller learns nothing about validation, and puts the Principal on the request.
import type { FastifyRequest } from 'fastify'
import { authenticate, type Principal } from '../auth/bearer.js'
import type { Scope } from '../contract/oauth.js'
import type { AppContext } from './app.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal
  }
}

export function requireScope(context: AppContext, scope: Scope) {
  return async (request: FastifyRequest) => {
    request.principal = await authenticate(request.headers.authorization, scope, context.tokens, context.store)
  }
}
