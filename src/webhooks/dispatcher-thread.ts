// The webhook dispatcher in a thread of its own, for PostgreSQL. One endpoint's deliveries go
// out one after another, in feed order; on the server's event loop every one of them waited
// behind the API requests queued there (and each of its statements behind theirs for a
// connection), so under a busy API one endpoint fell behind its provider's events. The thread
// has its own event loop and a small pool of its own, and is woken by the server's event hub.
// The embedded store has one database session, owned by the server: there the dispatcher stays
// in the server's thread.
//
// The thread is started only once the store holds a webhook endpoint (looked for every second
// until then): an isolate with nothing to deliver would still cost the server ~40 MB of memory.
// Events committed before it starts are not lost: an endpoint's cursor is in the database.
//
// A thread that dies (it should not) is started again after a second; nothing is lost, since
// every delivery's state is in the database and an abandoned claim expires by itself.
import { Worker } from 'node:worker_threads'
import type { DispatchLog } from './deliver-endpoint.js'
import type { DispatcherThreadData, FromDispatcherThread, ToDispatcherThread } from './dispatcher-thread-messages.js'

const RESTART_AFTER_MS = 1_000
/** Beyond the attempt in flight (15 s at most), what closing the thread's pool may take. */
const STOP_TIMEOUT_MS = 20_000
/** How often the server looks for a first webhook endpoint while the thread is not started. */
const ENDPOINT_LOOK_EVERY_MS = 1_000
/** Wakes reach the thread at most this often; one asked for in between is sent when the wait ends. */
const WAKE_EVERY_MS = 10

/**
 * The thread's heap. It holds a few pages of feed events at a time: a young generation of 3 MB
 * (V8's default grows to 48 MB) costs it nothing but memory (bench/webhook-throughput.ts: the same
 * deliveries/s and CPU per delivery, 30 MB less RSS), and the cap keeps a runaway thread from
 * taking the server down with it (it ends with ERR_WORKER_OUT_OF_MEMORY and is started again,
 * like any thread that dies). Its code and its pool take 15-25 MB of old generation.
 */
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 3, maxOldGenerationSizeMb: 96 }

/** The worker's entry: compiled JavaScript next to this file, or TypeScript under tsx and vitest. */
function startWorker(data: DispatcherThreadData): Worker {
  const running = new URL(import.meta.url)
  const extension = running.pathname.endsWith('.ts') ? '.ts' : '.js'
  const entry = new URL(`./dispatcher-thread-entry${extension}`, running)
  const options = { workerData: data, resourceLimits: RESOURCE_LIMITS }
  if (extension === '.js') return new Worker(entry, options)
  // tsx's loader is not inherited by worker threads: register it in the worker first.
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(boot, { ...options, eval: true })
}

export class WebhookDispatcherThread {
  readonly #data: DispatcherThreadData
  readonly #log: DispatchLog
  readonly #endpointsExist: () => Promise<boolean>
  #worker: Worker | undefined
  #stopping = false
  #restart: NodeJS.Timeout | undefined
  #stopped: Promise<void> | undefined
  #lookTimer: NodeJS.Timeout | undefined
  #lastWakeAt = -Infinity
  #trailingWake: NodeJS.Timeout | undefined
  #looking: Promise<void> | undefined
  #lookFailed = false

  /** `endpointsExist`: whether the store holds any webhook endpoint (on the server's own store). */
  constructor(data: DispatcherThreadData, log: DispatchLog, endpointsExist: () => Promise<boolean>) {
    this.#data = data
    this.#log = log
    this.#endpointsExist = endpointsExist
  }

  /** Starts the thread once the store holds a webhook endpoint: now, or at a later look. */
  start(): void {
    if (this.#stopping || this.#worker || this.#lookTimer) return
    this.#lookTimer = setInterval(() => this.#look(), ENDPOINT_LOOK_EVERY_MS)
    this.#lookTimer.unref()
    this.#look()
  }

  #look(): void {
    if (this.#looking || this.#stopping) return
    this.#looking = this.#endpointsExist()
      .then(
        (exist) => {
          this.#lookFailed = false
          if (!exist || this.#stopping) return
          clearInterval(this.#lookTimer)
          this.#startWorker()
        },
        (error: unknown) => {
          // Once per outage: the look is repeated every second.
          if (!this.#lookFailed) this.#log.error({ err: error }, 'looking for webhook endpoints failed; looking again every second')
          this.#lookFailed = true
        },
      )
      .finally(() => (this.#looking = undefined))
  }

  #startWorker(): void {
    if (this.#stopping || this.#worker) return
    const worker = startWorker(this.#data)
    this.#worker = worker
    worker.on('message', (message: FromDispatcherThread) => {
      if (message.type === 'log') this.#log[message.level](message.details, message.message)
      else if (message.type === 'failed') this.#log.error({ reason: message.message }, 'the webhook delivery thread could not start')
    })
    worker.on('error', (error) => this.#log.error({ err: error }, 'the webhook delivery thread failed'))
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined
      if (this.#stopping) return
      this.#log.error({ code }, `the webhook delivery thread ended; starting it again in ${RESTART_AFTER_MS} ms`)
      this.#restart = setTimeout(() => this.#startWorker(), RESTART_AFTER_MS)
      this.#restart.unref()
    })
  }

  /**
   * Events were committed: the thread looks for due work (it coalesces). Before the thread is
   * started the wake goes nowhere: the thread looks for due work as it starts.
   */
  wake(): void {
    // Every commit wakes it: one message per commit cost the API a postMessage (a syscall that
    // also wakes the thread) per write. The thread's looks start 20 ms apart anyway (dispatcher.ts).
    if (this.#trailingWake) return
    const wait = this.#lastWakeAt + WAKE_EVERY_MS - performance.now()
    if (wait <= 0) return this.#sendWake()
    this.#trailingWake = setTimeout(() => {
      this.#trailingWake = undefined
      this.#sendWake()
    }, wait)
    this.#trailingWake.unref()
  }

  #sendWake(): void {
    this.#lastWakeAt = performance.now()
    this.#post({ type: 'wake' })
  }

  /** The thread finishes the attempts in flight, records them and closes its pool. */
  stop(): Promise<void> {
    this.#stopping = true
    clearTimeout(this.#restart)
    clearTimeout(this.#trailingWake)
    clearInterval(this.#lookTimer)
    this.#stopped ??= this.#stop()
    return this.#stopped
  }

  async #stop(): Promise<void> {
    await this.#looking
    const worker = this.#worker
    if (!worker) return
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    this.#post({ type: 'stop' })
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }

  #post(message: ToDispatcherThread): void {
    this.#worker?.postMessage(message)
  }
}
