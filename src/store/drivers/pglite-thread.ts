// The server's handle on the database thread. PGlite runs PostgreSQL compiled to WebAssembly,
// and a statement runs to completion once started: on the server's event loop a 1,000-ticket
// page or an import batch would stop every other request, /healthz included. In a worker
// thread it takes a second core instead, and the event loop only posts statements and receives
// rows (structured clone, no serialization of our own).
import { Worker } from 'node:worker_threads'
import type { QueryResult } from './pool.js'
import type { FrameAnswer } from './remote-frames.js'
import type { ThreadData, ThreadMessage, ThreadRequest } from './pglite-thread-messages.js'
import { reviveError } from './session-errors.js'

/** How long a closing thread may take to end by itself after PGlite closed, before it is terminated. */
const EXIT_GRACE_MS = 5_000

/**
 * The database thread stopped (it crashed, or the store was closed): every statement fails with
 * SQLSTATE 08006 (connection_failure), which the error mapping answers with 503
 * store-unavailable, instead of waiting for an answer that will never come.
 */
export class DatabaseThreadStoppedError extends Error {
  readonly code = '08006'
  constructor(reason: string) {
    super(`the embedded store's database thread stopped: ${reason}`)
    this.name = 'DatabaseThreadStoppedError'
  }
}

type Request = { [K in ThreadRequest['op']]: Omit<Extract<ThreadRequest, { op: K }>, 'id'> }[ThreadRequest['op']]

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/** The worker's entry: compiled JavaScript next to this file, or TypeScript under tsx and vitest. */
function startWorker(data: ThreadData): Worker {
  const running = new URL(import.meta.url)
  const extension = running.pathname.endsWith('.ts') ? '.ts' : '.js'
  const entry = new URL(`./pglite-thread-entry${extension}`, running)
  if (extension === '.js') return new Worker(entry, { workerData: data })
  // tsx's loader is not inherited by worker threads: register it in the worker first.
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(boot, { eval: true, workerData: data })
}

export class PgliteThread {
  readonly #worker: Worker
  readonly #pending = new Map<number, Pending>()
  readonly #notifyHandlers = new Map<string, (payload: string) => void>()
  readonly #stopHandlers: Array<(error: Error) => void> = []
  readonly #exited: Promise<void>
  #nextId = 1
  #inTransaction = false
  #stopped: Error | undefined

  private constructor(
    worker: Worker,
    /** Who the session runs as, as PGlite reported when it opened. */
    readonly sessionUser: string,
  ) {
    this.#worker = worker
    // Like PGlite on the event loop, an idle database thread keeps no process alive (a CLI
    // command ends when its work is done); it is referenced only while a request waits.
    worker.unref()
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()))
    worker.on('message', (message: ThreadMessage) => this.#receive(message))
    worker.on('error', (error) => this.#stop(new DatabaseThreadStoppedError(error.message)))
    worker.once('exit', (code) => this.#stop(new DatabaseThreadStoppedError(`it exited with code ${code}`)))
  }

  /** Starts the thread and opens PGlite in it (`undefined`: in memory). */
  static start(dataDir: string | undefined): Promise<PgliteThread> {
    const worker = startWorker({ dataDir })
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        worker.off('message', onMessage)
        void worker.terminate()
        reject(error)
      }
      const onMessage = (message: ThreadMessage) => {
        if (message.type === 'start-failed') return fail(reviveError(message.error))
        if (message.type !== 'ready') return
        worker.off('message', onMessage).off('error', fail).off('exit', onExit)
        resolve(new PgliteThread(worker, message.sessionUser))
      }
      const onExit = (code: number) => fail(new DatabaseThreadStoppedError(`it exited with code ${code} while opening`))
      worker.on('message', onMessage).once('error', fail).once('exit', onExit)
    })
  }

  /** Closed, or stopped by a crash: nothing more will run. */
  get closed(): boolean {
    return this.#stopped !== undefined
  }

  /** Whether the session is inside a transaction, as of the last statement's answer. */
  isInTransaction(): boolean {
    return this.#inTransaction
  }

  /** Runs one statement (several, without parameters) in the session, like runOnPglite. */
  async run(sql: string, parameters: readonly unknown[]): Promise<QueryResult> {
    return (await this.#request({ op: 'query', sql, parameters })) as QueryResult
  }

  /** Parses, runs and answers a remote session's statement frame, all in the database thread. */
  async answerFrame(bytes: Uint8Array): Promise<FrameAnswer> {
    // Moved, not copied: the frame's bytes are the caller's own copy (readFrames).
    return (await this.#request({ op: 'frame', bytes }, [bytes.buffer as ArrayBuffer])) as FrameAnswer
  }

  /** LISTEN on `channel`; `onNotify` hears its notifications until the returned function UNLISTENs. */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    this.#notifyHandlers.set(channel, onNotify)
    try {
      await this.#request({ op: 'listen', channel })
    } catch (error) {
      this.#notifyHandlers.delete(channel)
      throw error
    }
    return async () => {
      this.#notifyHandlers.delete(channel)
      if (!this.closed) await this.#request({ op: 'unlisten', channel })
    }
  }

  /** Called once if the thread stops other than by close(): subscriptions are lost, statements fail. */
  onStop(handler: (error: Error) => void): void {
    this.#stopHandlers.push(handler)
  }

  /** Closes PGlite (what was committed is flushed) and waits for the thread to end. */
  async close(): Promise<void> {
    if (this.#stopped) return
    let failure: unknown
    try {
      await this.#request({ op: 'close' })
    } catch (error) {
      failure = error
    }
    this.#stop(new DatabaseThreadStoppedError('the store was closed'), { closing: true })
    // After a clean close the thread ends by itself; one that does not is ended here.
    const grace = setTimeout(() => void this.#worker.terminate(), failure === undefined ? EXIT_GRACE_MS : 0)
    await this.#exited
    clearTimeout(grace)
    if (failure !== undefined) throw failure
  }

  /**
   * Ends the thread at once, as a crash would: PGlite is not closed, so only what it already
   * wrote survives, and everything waiting fails. For an owner that must stop now (and for the
   * tests of what a crash does to the pool).
   */
  async terminate(): Promise<void> {
    await this.#worker.terminate()
    await this.#exited
  }

  #request(request: Request, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.#stopped) return Promise.reject(this.#stopped)
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      try {
        // A parameter that cannot be cloned (a function, a class instance with private state)
        // throws here, before anything was sent.
        this.#worker.postMessage({ ...request, id }, transfer)
      } catch (error) {
        return reject(error as Error)
      }
      if (this.#pending.size === 0) this.#worker.ref()
      this.#pending.set(id, { resolve, reject })
    })
  }

  #receive(message: ThreadMessage): void {
    if (message.type === 'notify') return this.#notifyHandlers.get(message.channel)?.(message.payload)
    if (message.type !== 'reply') return
    const pending = this.#pending.get(message.id)
    this.#pending.delete(message.id)
    if (this.#pending.size === 0) this.#worker.unref()
    this.#inTransaction = message.inTransaction
    if (message.error) pending?.reject(reviveError(message.error))
    else pending?.resolve(message.value)
  }

  #stop(error: Error, { closing = false } = {}): void {
    if (this.#stopped) return
    this.#stopped = error
    this.#inTransaction = false
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
    if (!closing) for (const handler of this.#stopHandlers) handler(error)
  }
}
