// tickets serve: the composition root. Config → store → app → listen; SIGINT/SIGTERM close
// the listener first, let requests in flight finish, then close the store.
import { SigningKeyError } from '../auth/signing-keys.js'
import { loadConfig } from '../config.js'
import { buildApp } from '../http/app.js'
import { demoBanner, ensureDemo, shouldSeed } from './demo.js'
import { openConfiguredStore } from './open.js'
import { StartupError, where } from './startup-errors.js'
import { parseCommandArgs, UsageError } from './usage.js'

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { port: { type: 'string' }, host: { type: 'string' } })
  const config = loadConfig()
  if (values.port !== undefined && !/^[0-9]+$/.test(values.port)) throw new UsageError('--port must be a number')
  const port = values.port !== undefined ? Number(values.port) : config.port
  if (port > 65535) throw new UsageError('--port must be at most 65535')
  const host = values.host ?? config.host

  const store = await openConfiguredStore(config, 'server', {
    serveEmbedded: true,
    cacheClients: true,
    onPoolError: (error) => process.stderr.write(`tickets: database connection lost: ${error.message}\n`),
  })
  let app
  try {
    const demo = shouldSeed(config) ? await ensureDemo(store, config) : undefined
    app = await buildApp({
      store,
      ...(config.signingSecret ? { signingSecret: config.signingSecret } : {}),
      keyring: { encryptionKey: config.keyEncryptionKey },
      logger: { level: config.logLevel },
      trustProxy: config.trustProxy,
    }).catch((error: unknown) => {
      throw error instanceof SigningKeyError ? new StartupError(error.message) : error
    })
    try {
      await app.listen({ port, host })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new StartupError(code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port}: ${(error as Error).message}`)
    }
    const address = app.server.address()
    const boundPort = typeof address === 'object' && address ? address.port : port
    const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`
    process.stdout.write(`Tickets API listening on ${baseUrl} (${where(config)})\n`)
    if (demo) process.stdout.write(demoBanner(demo, baseUrl))
  } catch (error) {
    await app?.close().catch(() => undefined)
    await store.close().catch(() => undefined)
    throw error
  }

  const running = app
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  process.stdout.write('Shutting down…\n')
  await running.close()
  await store.close()
  return 0
}
