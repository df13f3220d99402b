// The webhook delivery thread (see dispatcher-thread.ts): a WebhookDispatcher on a store of its
// own (a small pool on the same PostgreSQL database), woken by the server's messages.
import { parentPort, workerData } from 'node:worker_threads'
import { openStore } from '../store/open-store.js'
import type { DispatcherThreadData, FromDispatcherThread, ToDispatcherThread } from './dispatcher-thread-messages.js'
import { WebhookDispatcher } from './dispatcher.js'

const data = workerData as DispatcherThreadData
const port = parentPort!
const send = (message: FromDispatcherThread) => port.postMessage(message)
// Errors cross as plain fields: an Error does not survive structured cloning with its stack.
const plain = (details: object): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(details).map(([key, value]) => [key, value instanceof Error ? { message: value.message, stack: value.stack } : value]),
  )
const log = {
  warn: (details: object, message: string) => send({ type: 'log', level: 'warn', details: plain(details), message }),
  error: (details: object, message: string) => send({ type: 'log', level: 'error', details: plain(details), message }),
}

// Messages that arrive while the store opens are kept: a wake is not lost, a stop is honoured.
let dispatcher: WebhookDispatcher | undefined
let stopRequested = false
let wokenEarly = false
port.on('message', (message: ToDispatcherThread) => {
  if (message.type === 'wake') {
    if (dispatcher) dispatcher.wake()
    else wokenEarly = true
  } else {
    stopRequested = true
    if (dispatcher) void stop()
  }
})

let closeStore: (() => Promise<void>) | undefined
async function stop(): Promise<void> {
  await dispatcher?.stop()
  await closeStore?.()
  send({ type: 'stopped' })
  port.close()
}

try {
  // The schema belongs to the server, which has migrated it before starting this thread.
  const store = await openStore({
    databaseUrl: data.databaseUrl,
    dataDir: '',
    migrate: false,
    poolSize: data.poolSize,
    statementTimeoutMs: data.statementTimeoutMs,
    onPoolError: (error) => log.error({ err: error }, 'webhook delivery: database connection lost'),
    onBackgroundError: (error) => log.error({ err: error }, 'webhook delivery: telling other processes of new events failed'),
  })
  closeStore = () => store.close()
  dispatcher = new WebhookDispatcher({
    store,
    allowPrivate: data.allowPrivate,
    encryptionKey: data.encryptionKey ? Buffer.from(data.encryptionKey) : undefined,
    log,
  })
  dispatcher.start()
  if (wokenEarly) dispatcher.wake()
  send({ type: 'started' })
  if (stopRequested) await stop()
} catch (error) {
  send({ type: 'failed', message: (error as Error).message })
  port.close()
}
