// The messages between the server's thread and the database thread (pglite-thread.ts and
// pglite-thread-entry.ts). A MessagePort carries them by structured clone: rows arrive as the
// same strings, numbers, booleans, nulls, objects and byte arrays PGlite produced, with no
// framing or JSON step; errors cannot cross whole, so they travel serialized (session-errors.ts).
import type { QueryResult } from './pool.js'
import type { FrameAnswer } from './remote-frames.js'
import type { SerializedError } from './session-errors.js'

export interface ThreadData {
  /** The PGlite data directory; undefined: an in-memory database. */
  dataDir: string | undefined
}

export type ThreadRequest =
  | { id: number; op: 'query'; sql: string; parameters: readonly unknown[] }
  /** A remote session's statement frame, as bytes: parsed, run and answered here (remote-frames.ts answerQueryFrame). */
  | { id: number; op: 'frame'; bytes: Uint8Array }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'unlisten'; channel: string }
  /** Close PGlite (flushing what it holds), answer, then let the thread end. */
  | { id: number; op: 'close' }

export type ThreadMessage =
  | { type: 'ready'; sessionUser: string }
  | { type: 'start-failed'; error: SerializedError }
  /**
   * `value`: a query's QueryResult, a frame's FrameAnswer, nothing for the others. `inTransaction`
   * is the session's state after the request, so the pool can read it without asking.
   */
  | { type: 'reply'; id: number; value?: QueryResult | FrameAnswer; error?: SerializedError; inTransaction: boolean }
  | { type: 'notify'; channel: string; payload: string }
