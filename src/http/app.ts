// buildApp: the whole HTTP API as a Fastify instance, wired to a store. It never listens, so
// tests drive it with inject() and the server (cli/serve.ts) decides where it binds.
import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Keyring, type KeyringOptions } from '../auth/signing-keys.js'
import { TokenService } from '../auth/tokens.js'
import { isSigningKeyStore, type SigningKeyStore } from '../store/signing-key-store.js'
import type { AppStore } from './app-store.js'
import { registerProblemHandlers, sendProblem } from './problem-handler.js'
import { AppError } from '../errors/app-error.js'
import { trackRoutes } from './route-table.js'
import { registerRoutes } from './register-routes.js'
import { BODY_LIMIT_BYTES } from './body-limits.js'
import { RATE_LIMITS_OFF, registerRateLimits, type RateLimitSettings } from './rate-limits.js'
import { ClientConcurrency } from '../limits/client-concurrency.js'
import { Lifecycle } from './lifecycle.js'
import type { AppContext } from './context.js'
import type { Metrics } from '../observability/metrics.js'
import { countResponses } from '../observability/http-metrics.js'
import { serverOptions, type ServerLimits } from './server-options.js'
import { requestSerializers } from '../observability/log-redaction.js'
import { EventHub } from '../events/event-hub.js'
import { WebhookSender } from '../webhooks/sender.js'
import type { ResolveHost } from '../webhooks/url-policy.js'
import { DEFAULT_STREAM_SETTINGS, type StreamSettings } from '../events/stream-settings.js'
import { StreamTails } from '../events/stream-tails.js'
import { ClientStreams } from '../limits/client-streams.js'

export interface AppOptions {
  store: AppStore
  /** Pins one token signing secret (TICKETS_SIGNING_SECRET); by default the keys kept in the store. */
  signingSecret?: string
  /** Where the signing keys are kept; defaults to `store`. */
  keys?: SigningKeyStore
  /** TICKETS_KEY_ENCRYPTION_KEY, and how often the keys are refreshed from the store. */
  keyring?: Omit<KeyringOptions, 'onRefreshError'>
  clock?: () => Date
  logger?: FastifyServerOptions['logger']
  trustProxy?: boolean
  /** Request-rate limits; off unless given (the server passes the configured ones). */
  rateLimits?: RateLimitSettings
  /** /v2 requests in flight per API client; 0 or absent: unlimited. */
  clientConcurrency?: number
  /** Socket-level limits; Node's defaults when absent (tests drive the app with inject). */
  server?: ServerLimits
  /** Shared with the server, which turns readiness off before it drains. */
  lifecycle?: Lifecycle
  /** Where request, problem, rate-limit and token counts go (the server's /metrics). */
  metrics?: Metrics
  /** The wake-up long polls wait on; by default one of the app's own over the store (closed with the app). */
  hub?: EventHub
  /** How many days the events feed keeps (default 30). */
  eventRetentionDays?: number
  /**
   * Webhook endpoint management: whether URLs may point at private addresses and use http
   * (TICKETS_WEBHOOKS_ALLOW_PRIVATE; refused when absent), the resolver, the test event's timeout.
   * Secrets are encrypted with `keyring.encryptionKey`.
   */
  webhooks?: { allowPrivate: boolean; resolve?: ResolveHost; timeoutMs?: number }
  /** Live streams' lifetime, heartbeat and limits (defaults in events/stream-settings.ts). */
  streams?: Partial<StreamSettings>
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
          onRefreshError: (error) =>
            log?.warn({ err: error }, 'refreshing the token signing keys failed; the keys known so far stay in use'),
        })

  const app = Fastify({
    logger: withRedaction(options.logger ?? false),
    bodyLimit: BODY_LIMIT_BYTES,
    ...(options.server ? serverOptions(options.server) : {}),
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
  const hub = options.hub ?? new EventHub(options.store)
  if (!options.hub) app.addHook('onClose', async () => hub.close())
  // Before the server waits for requests in flight: held long polls answer now, not at the deadline.
  const stopping = new AbortController()
  // Every held long poll listens to it: thousands are normal, not a leak.
  setMaxListeners(0, stopping.signal)
  app.addHook('preClose', async () => stopping.abort())
  const streamSettings: StreamSettings = { ...DEFAULT_STREAM_SETTINGS, ...options.streams }
  const tails = new StreamTails(options.store, hub, {
    capacity: streamSettings.ringSize,
    onError: (error) => log?.warn({ err: error }, 'a live stream’s shared tail could not read the feed; retrying'),
  })
  app.addHook('onClose', async () => tails.close())
  const context: AppContext = {
    store: options.store,
    tokens: new TokenService(keyring, clock),
    clock,
    rateLimits: await registerRateLimits(app, options.rateLimits ?? RATE_LIMITS_OFF, (policy) =>
      options.metrics?.rateLimitRefusals.inc({ policy }),
    ),
    concurrency: new ClientConcurrency(options.clientConcurrency ?? 0),
    lifecycle: options.lifecycle ?? new Lifecycle(),
    hub,
    stopping: stopping.signal,
    eventRetentionDays: options.eventRetentionDays ?? 30,
    webhooks: webhookManagement(options, clock),
    tails,
    streams: new ClientStreams(streamSettings.perClient),
    streamSettings,
  }
  app.addHook('onClose', async () => context.webhooks.sender.close())
  app.addHook('onClose', () => context.rateLimits.close())
  if (options.metrics) countResponses(app, options.metrics)
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  await registerRoutes(app, context)
  await app.ready()
  // Beyond this many open sockets Node drops new connections at once.
  if (options.server) app.server.maxConnections = options.server.maxConnections
  return app
}

function webhookManagement(options: AppOptions, clock: () => Date): AppContext['webhooks'] {
  const settings = options.webhooks ?? { allowPrivate: false }
  const policy = { allowPrivate: settings.allowPrivate, ...(settings.resolve ? { resolve: settings.resolve } : {}) }
  return {
    store: options.store,
    clock,
    policy,
    encryptionKey: options.keyring?.encryptionKey,
    sender: new WebhookSender({ ...policy, ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}) }),
  }
}

/** Request logs keep paths and parameter names, never query values (VINs, ids, secrets). */
function withRedaction(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === false || logger === undefined) return false
  return { ...(logger === true ? {} : logger), serializers: requestSerializers }
}
