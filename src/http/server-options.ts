// Socket-level limits of the API's listener, as Fastify and Node's http server take them.
import type { FastifyServerOptions } from 'fastify'

export interface ServerLimits {
  requestTimeoutMs: number
  headersTimeoutMs: number
  keepAliveTimeoutMs: number
  maxConnections: number
}

/**
 * Timeouts on every phase of a connection (Fastify disables most by default): the headers,
 * the whole request, idle keep-alive, and a socket that goes silent. Node checks the first two
 * every `connectionsCheckingInterval`, so that is set well below them.
 */
export function serverOptions(limits: ServerLimits): FastifyServerOptions {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // A socket with no traffic either way for this long is dead or hostile (a response in
    // progress always sends within the statement timeout).
    connectionTimeout: Math.max(limits.requestTimeoutMs, limits.keepAliveTimeoutMs) + 5_000,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs / 2),
    },
  } as FastifyServerOptions
}
