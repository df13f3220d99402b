// What the server and its webhook delivery thread (dispatcher-thread.ts) tell each other.

export interface DispatcherThreadData {
  databaseUrl: string
  /** Connections of the thread's own pool. */
  poolSize: number
  statementTimeoutMs: number
  allowPrivate: boolean
  /** TICKETS_KEY_ENCRYPTION_KEY's bytes, to read encrypted endpoint secrets. */
  encryptionKey: Uint8Array | undefined
}

/** Server → thread. */
export type ToDispatcherThread = { type: 'wake' } | { type: 'stop' }
/** Thread → server. */
export type FromDispatcherThread =
  | { type: 'started' }
  | { type: 'stopped' }
  | { type: 'failed'; message: string }
  /** A line for the server's log (the thread has no logger of its own: one configuration, one output). */
  | { type: 'log'; level: 'warn' | 'error'; details: Record<string, unknown>; message: string }
