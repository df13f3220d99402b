// What routes tell the shared hooks through their `config`.
declare module 'fastify' {
  interface FastifyContextConfig {
    /** The media types the route's body may have (named in 415 problems). */
    accepts?: string[]
    /** The route's body limit in bytes (named in 413 problems). */
    bodyLimit?: number
    /** Token-endpoint problems also carry RFC 6749's `error` member. */
    oauthErrors?: boolean
  }
}

export {}
