// What routes tell the shared hooks through their `config`.
import type { Scope } from '../contract/oauth.js'
import type { OperationDoc } from './openapi/operation-doc.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The media types the route's body may have (named in 415 problems and the OpenAPI document). */
    accepts?: string[]
    /** The route's body limit in bytes (named in 413 problems and the OpenAPI document). */
    bodyLimit?: number
    /** Token-endpoint problems also carry RFC 6749's `error` member. */
    oauthErrors?: boolean
    /**
     * The bearer-token scope the route requires (a list: any one of them): guards it (see
     * guardScopedRoutes) and documents it.
     */
    scope?: Scope | readonly Scope[]
    /** The route's OpenAPI operation; routes without one are left out of the document. */
    openapi?: OperationDoc
  }
}

export {}
