// tickets serve: the composition root. Config → store → event hub → app → listen (and the
// metrics listener when configured) → the webhook dispatcher, and the events' retention purge.
// On SIGINT/SIGTERM: readiness turns 503, the listener stops accepting and the dispatcher stops
// claiming, held long polls answer at once, requests in flight get until the shutdown deadline
// to finish (webhook attempts in flight finish and are recorded), then every connection still
// open is cut and the store is closed.
import { SigningKeyError } from '../auth/signing-keys.js'
import { loadConfig } from '../config.js'
import { buildApp } from '../http/app.js'
import { Lifecycle } from '../http/lifecycle.js'
import { EventHub } from '../events/event-hub.js'
import { startRetentionPurge, type RetentionPurge } from '../events/retention.js'
import { batchedStdout } from '../observability/log-destination.js'
import { Metrics } from '../observability/metrics.js'
import { WebhookDispatcher } from '../webhooks/dispatcher.js'
import { WebhookDispatcherThread } from '../webhooks/dispatcher-thread.js'
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server.js'
import { demoBanner, ensureDemo, shouldSeed } from './demo.js'
import { webhookEndpointsExist } from '../store/webhook-presence-sql.js'
import { limitHeapGrowth } from './heap-growth.js'
import { openConfiguredStore } from './open.js'
import { StartupError, where } from './startup-errors.js'
import { parseCommandArgs, UsageError } from './usage.js'

/** At most this long between readiness turning 503 and the listener closing (SIGTERM only). */
const READINESS_GRACE_MS = 5_000
/** Connections of the webhook delivery thread: claims, feed pages and records, a few at a time. */
const WEBHOOK_POOL_SIZE = 4

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { port: { type: 'string' }, host: { type: 'string' } })
  const config = loadConfig()
  if (values.port !== undefined && !/^[0-9]+$/.test(values.port)) throw new UsageError('--port must be a number')
  const port = values.port !== undefined ? Number(values.port) : config.port
  if (port > 65535) throw new UsageError('--port must be at most 65535')
  const host = values.host ?? config.host
  limitHeapGrowth()

  const store = await openConfiguredStore(config, 'server', {
    serveEmbedded: true,
    cacheClients: true,
    // Long polls and webhooks wake on other processes' commits too.
    followEventCommits: true,
    onPoolError: (error) => process.stderr.write(`tickets: database connection lost: ${error.message}\n`),
    onBackgroundError: (error) => process.stderr.write(`tickets: telling other processes of new events failed: ${error.message}\n`),
  })
  // One wake-up for the whole process: the feed's long polls (and the webhook dispatcher) share it.
  const hub = new EventHub(store)
  const lifecycle = new Lifecycle()
  const metrics = config.metricsPort !== undefined ? new Metrics(store.poolStats ? { poolStats: store.poolStats } : {}) : undefined
  let app
  let metricsServer: MetricsServer | undefined
  let purge: RetentionPurge | undefined
  let dispatcher: Pick<WebhookDispatcher, 'start' | 'wake' | 'stop'> | undefined
  try {
    const demo = shouldSeed(config) ? await ensureDemo(store, config) : undefined
    app = await buildApp({
      store,
      ...(config.signingSecret ? { signingSecret: config.signingSecret } : {}),
      keyring: { encryptionKey: config.keyEncryptionKey },
      logger: { level: config.logLevel, stream: batchedStdout() },
      trustProxy: config.trustProxy,
      rateLimits: {
        perClient: config.rateLimit,
        tokenPerClient: config.tokenRateLimitPerClient,
        tokenPerAddress: config.tokenRateLimitPerAddress,
        redisUrl: config.redisUrl,
      },
      clientConcurrency: config.clientConcurrency,
      server: {
        requestTimeoutMs: config.requestTimeoutMs,
        headersTimeoutMs: config.headersTimeoutMs,
        keepAliveTimeoutMs: config.keepAliveTimeoutMs,
        maxConnections: config.maxConnections,
      },
      lifecycle,
      ...(metrics ? { metrics } : {}),
      hub,
      eventRetentionDays: config.eventRetentionDays,
      webhooks: { allowPrivate: config.webhooksAllowPrivate },
      streams: {
        maxMs: config.streamMaxSeconds * 1000,
        heartbeatMs: config.streamHeartbeatSeconds * 1000,
        perClient: config.streamsPerClient,
      },
    }).catch((error: unknown) => {
      throw error instanceof SigningKeyError ? new StartupError(error.message) : error
    })
    try {
      await app.listen({ port, host })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new StartupError(
        code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use`
          : `cannot listen on ${host}:${port}: ${(error as Error).message}`,
      )
    }
    const address = app.server.address()
    const boundPort = typeof address === 'object' && address ? address.port : port
    const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`
    process.stdout.write(`Tickets API listening on ${baseUrl} (${where(config)})\n`)
    if (metrics && config.metricsPort !== undefined) {
      metricsServer = await startMetrics(metrics, config.metricsPort, host)
      process.stdout.write(`Metrics on http://${host.includes(':') ? `[${host}]` : host}:${metricsServer.port}/metrics\n`)
    }
    if (demo) process.stdout.write(demoBanner(demo, baseUrl))
    purge = startRetentionPurge({ store, days: config.eventRetentionDays, log: app.log })
    // Every process on the store delivers; leases in the database share the work between them.
    // On PostgreSQL in a thread of its own (dispatcher-thread.ts), started once an endpoint
    // exists; on the embedded store here.
    const webhookLog = app.log.child({ component: 'webhooks' })
    dispatcher = config.databaseUrl
      ? new WebhookDispatcherThread(
          {
            databaseUrl: config.databaseUrl,
            poolSize: WEBHOOK_POOL_SIZE,
            statementTimeoutMs: config.statementTimeoutMs,
            allowPrivate: config.webhooksAllowPrivate,
            encryptionKey: config.keyEncryptionKey,
          },
          webhookLog,
          () => webhookEndpointsExist(store.db),
        )
      : new WebhookDispatcher({
          store,
          allowPrivate: config.webhooksAllowPrivate,
          encryptionKey: config.keyEncryptionKey,
          log: webhookLog,
        })
    // Commits of events (this process's and, through NOTIFY, the others') wake it at once.
    hub.onCommit(() => dispatcher?.wake())
    hub.onMissed(() => dispatcher?.wake())
    dispatcher.start()
  } catch (error) {
    await dispatcher?.stop().catch(() => undefined)
    await purge?.stop().catch(() => undefined)
    await metricsServer?.close().catch(() => undefined)
    await app?.close().catch(() => undefined)
    hub.close()
    await store.close().catch(() => undefined)
    throw error
  }

  const running = app
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  process.stdout.write('Shutting down…\n')
  lifecycle.draining = true
  // An orchestrator's SIGTERM: keep serving for a moment with /readyz at 503, so load balancers
  // stop routing here before the listener closes. A person's Ctrl-C (SIGINT) needs no such wait.
  const grace = signal === 'SIGTERM' ? Math.min(READINESS_GRACE_MS, config.shutdownTimeoutMs / 5) : 0
  await new Promise((resolve) => setTimeout(resolve, grace))
  // An attempt in flight takes at most its 15 s timeout, inside the shutdown deadline; one cut
  // short anyway is retried by whichever process next claims the endpoint.
  await Promise.all([drain(running, config.shutdownTimeoutMs - grace), dispatcher?.stop()])
  await purge?.stop()
  await metricsServer?.close()
  hub.close()
  await store.close()
  return 0
}

async function startMetrics(metrics: Metrics, port: number, host: string): Promise<MetricsServer> {
  try {
    return await startMetricsServer(metrics, port, host)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new StartupError(
      code === 'EADDRINUSE'
        ? `metrics port ${port} on ${host} is already in use`
        : `cannot listen for metrics on ${host}:${port}: ${(error as Error).message}`,
    )
  }
}

/** Closes the app; requests still running after `deadlineMs` lose their connections. */
async function drain(app: Awaited<ReturnType<typeof buildApp>>, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), deadlineMs)))
  const closed = app.close().then(() => 'closed' as const)
  if ((await Promise.race([closed, deadline])) === 'deadline') {
    process.stderr.write('tickets: requests still running at the shutdown deadline; closing their connections\n')
    app.server.closeAllConnections()
    await closed
  }
  clearTimeout(timer)
}
