// The framing of the embedded store's session protocol: one JSON value per line. Bytes from
// the socket are untrusted until the peer has authenticated, and a bad frame must end that
// one session, never the process: every failure is reported to `onError` once, after which no
// more frames are delivered and the caller closes the socket.
import type { Socket } from 'node:net'
import type { QueryResult } from './pool.js'
import { serializeError, type SerializedError } from './session-errors.js'

export interface QueryFrame {
  sql: string
  parameters: unknown[]
}
export type ReplyFrame = { ready: true } | { result: QueryResult } | { error: SerializedError }

export const isQueryFrame = (frame: unknown): frame is QueryFrame =>
  typeof frame === 'object' &&
  frame !== null &&
  typeof (frame as QueryFrame).sql === 'string' &&
  Array.isArray((frame as QueryFrame).parameters)

/**
 * The largest frame either side accepts once the peer has authenticated. The largest frames
 * are an import batch (2,000 tickets as one JSON parameter, JSON-encoded again inside the
 * frame: about 2 MiB for typical tickets, about 12 MiB if every bounded text field is at its
 * 255-character limit with control characters escaped seven bytes each) and an export page
 * (2,000 rows, single-encoded). 64 MiB leaves room for long voucher codes (unbounded in the
 * schema) while keeping one session from growing the server's memory without limit.
 */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024

/** Before authentication a peer may send one small frame (the secret); nothing else. */
export const MAX_AUTH_FRAME_BYTES = 1024

/** A frame that broke the protocol; SQLSTATE 08P01 (protocol_violation). */
export class FrameError extends Error {
  readonly code = '08P01'
  constructor(message: string) {
    super(message)
    this.name = 'FrameError'
  }
}

/** A frame or result too large for the protocol; SQLSTATE 54000 (program_limit_exceeded). */
export class FrameTooLargeError extends Error {
  readonly code = '54000'
  constructor(what: string, bytes: number) {
    super(`${what} is ${bytes} bytes, more than the embedded store's session protocol carries (${MAX_FRAME_BYTES})`)
    this.name = 'FrameTooLargeError'
  }
}

export interface FrameReader {
  /** The current limit on one frame's size, in bytes (raised once the peer has authenticated). */
  limit: number
  /** Deliver each frame as its bytes, unparsed (the owner parses statements in its database thread). */
  raw: boolean
  /** Deliver no more frames. */
  stop(): void
}

export function readFrames(
  socket: Socket,
  limit: number,
  /** A parsed JSON value, or the frame's bytes while `raw` is set. */
  onFrame: (frame: unknown) => void,
  onError: (error: FrameError) => void,
): FrameReader {
  let parts: Buffer[] = []
  let size = 0
  let stopped = false
  const reader: FrameReader = { limit, raw: false, stop: () => (stopped = true) }
  const fail = (error: FrameError) => {
    if (stopped) return
    stopped = true
    parts = []
    onError(error)
  }
  // Buffers, not strings: a newline byte never occurs inside a multi-byte UTF-8 character, so
  // a frame is cut on raw bytes and decoded once, and its size is counted in bytes.
  socket.on('data', (chunk: Buffer) => {
    let start = 0
    while (!stopped) {
      const newline = chunk.indexOf(0x0a, start)
      const end = newline === -1 ? chunk.length : newline
      size += end - start
      if (size > reader.limit) return fail(new FrameError(`a frame exceeded ${reader.limit} bytes`))
      if (newline === -1) {
        if (end > start) parts.push(chunk.subarray(start))
        return
      }
      parts.push(chunk.subarray(start, newline))
      const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
      parts = []
      size = 0
      start = newline + 1
      if (reader.raw) {
        // A copy of its own: posting a view to another thread copies its whole underlying
        // buffer (the socket's chunk, or Buffer's shared pool), not just the frame.
        onFrame(new Uint8Array(whole))
        continue
      }
      const text = whole.toString('utf8')
      let frame: unknown
      try {
        frame = JSON.parse(text)
      } catch {
        return fail(new FrameError('a frame is not valid JSON'))
      }
      onFrame(frame)
    }
  })
  return reader
}

/** One frame as the bytes to write; throws FrameTooLargeError rather than send what the peer must refuse. */
export function encodeFrame(frame: unknown, what: string): string {
  const text = `${JSON.stringify(frame)}\n`
  // A JS string's length bounds its UTF-8 size from below; measure only when it might matter.
  if (text.length * 3 > MAX_FRAME_BYTES) {
    const bytes = Buffer.byteLength(text) - 1
    if (bytes > MAX_FRAME_BYTES) throw new FrameTooLargeError(what, bytes)
  }
  return text
}

/** What answering one statement frame comes to: the reply frame to write, or a violation that ends the session. */
export type FrameAnswer = { reply: string } | { violation: SerializedError }

/**
 * Parses a statement frame, runs it and encodes the reply: all of it where `run` runs (the
 * owner's database thread), so that a 2 MB import batch is never parsed on the server's event
 * loop (about 6 ms of JSON.parse on the bench machine, more than /healthz may wait).
 */
export async function answerQueryFrame(
  bytes: Uint8Array,
  run: (sql: string, parameters: unknown[]) => Promise<QueryResult>,
): Promise<FrameAnswer> {
  let frame: unknown
  try {
    frame = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return { violation: serializeError(new FrameError('a frame is not valid JSON')) }
  }
  if (!isQueryFrame(frame)) return { violation: serializeError(new FrameError('not a query frame')) }
  let reply: ReplyFrame
  try {
    reply = { result: await run(frame.sql, frame.parameters) }
  } catch (error) {
    reply = { error: serializeError(error) }
  }
  try {
    return { reply: encodeFrame(reply, 'the result') }
  } catch (error) {
    return { reply: encodeFrame({ error: serializeError(error as FrameTooLargeError) }, 'an error') }
  }
}
