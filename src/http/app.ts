// buildApp: the whole HTTP API as a Fastify instance, wired to a store. It never listens, so
// tests drive it with inject() and the server (cli/serve.ts) decides where it binds.
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Keyring, type KeyringOptions } from '../auth/signing-keys.js'
import { TokenService } from '../auth/tokens.js'
import { isSigningKeyStore, type SigningKeyStore } from '../store/signing-key-store.js'
import type { TicketStore } from '../store/store.js'
import { registerProblemHandlers, sendProblem } from './problem-handler.js'
import { AppError } from '../errors/app-error.js'
import { trackRoutes } from './route-table.js'
import { registerDocsRoutes } from './routes/docs.js'
import { registerHealthRoutes } from './routes/health.js'
import { registerOAuthRoutes } from './routes/oauth.js'
import { registerTicketRoutes } from './routes/tickets.js'
import { parseForm } from './form-body.js'

export const BODY_LIMIT_BYTES = 1024 * 1024

export interface AppOptions {
  store: TicketStore
  /** Pins one token signing secret (TICKETS_SIGNING_SECRET); by default the keys kept in the store. */
  signingSecret?: string
  /** Where the signing keys are kept; defaults to `store`. */
  keys?: SigningKeyStore
  /** TICKETS_KEY_ENCRYPTION_KEY, and how often the keys are refreshed from the store. */
  keyring?: Omit<KeyringOptions, 'onRefreshError'>
  clock?: () => Date
  logger?: FastifyServerOptions['logger']
  trustProxy?: boolean
}

export interface AppContext {
  store: TicketStore
  tokens: TokenService
  clock: () => Date
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? (() => new Date())
  const keys = options.keys ?? (isSigningKeyStore(options.store) ? options.store : undefined)
  if (options.signingSecret === undefined && !keys) throw new Error('buildApp needs a signingSecret or a store that keeps signing keys')
  // Declared before the app exists; the refresh only logs through it once the app is built.
  let log: FastifyInstance['log'] | undefined
  const keyring =
    options.signingSecret !== undefined
      ? await Keyring.pinned(options.signingSecret)
      : await Keyring.fromStore(keys!, {
          ...options.keyring,
          onRefreshError: (error) => log?.warn({ err: error }, 'refreshing the token signing keys failed; the keys known so far stay in use'),
        })
  const context: AppContext = { store: options.store, tokens: new TokenService(keyring, clock), clock }

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: options.trustProxy ?? false,
    // The list endpoint parses the raw query string itself (duplicates, order, brackets).
    routerOptions: { querystringParser: () => ({}) },
    // Clients may pass their own correlation id; anything odd is replaced, never echoed.
    genReqId: (request) => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    // Malformed percent-encoding in the path, or a path parameter too long to be an id, fail
    // before routing: answer them as problems like everything else.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id)
      const detail =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? 'A path segment is too long to be an identifier.'
          : 'The request path has a malformed percent-encoding.'
      return sendProblem(reply, new AppError('invalid-path', detail))
    },
    ajv: {
      // Strict body validation: never coerce "true" to true, never drop unknown members.
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, useDefaults: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  log = app.log
  app.addHook('onClose', async () => keyring.close())
  trackRoutes(app)
  registerProblemHandlers(app)
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  // Each group of routes accepts only its own media types (encapsulated parsers), so a JSON
  // token request or a form-encoded PATCH is a clear 415 rather than a confusing 400.
  app.removeAllContentTypeParsers()
  await app.register(async (tickets) => {
    tickets.addHook('onRoute', (route) => {
      route.config = { ...route.config, accepts: ['application/json', 'application/merge-patch+json'] }
    })
    tickets.addContentTypeParser(
      ['application/json', 'application/merge-patch+json'],
      { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
      tickets.getDefaultJsonParser('error', 'error'),
    )
    registerTicketRoutes(tickets, context)
  })
  await app.register(async (oauth) => {
    oauth.addHook('onRoute', (route) => {
      route.config = { ...route.config, accepts: ['application/x-www-form-urlencoded'] }
    })
    oauth.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
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
  registerHealthRoutes(app, context)
  registerDocsRoutes(app)
  await app.ready()
  return app
}
