// Lets other processes (the CLI) use a PGlite database that a running server owns: a
// session protocol over a Unix socket, one newline-delimited JSON frame per message
// (remote-frames.ts). The client's first frame is the session secret that the owner wrote to
// its 0600 lock file, so only processes that can read that file (the owner's user) get in.
// A session then holds the owner's lock from "ready" until the socket closes, exactly like a
// local connection, so a remote transaction is as isolated as a local one; when it ends, the
// shared session is restored before anyone else gets it. Sessions are served on the server's
// thread under PglitePool's lock, like a local caller; each statement frame goes to the
// database thread as bytes, to be parsed, run and answered there, so that a 2 MB import batch
// is never parsed on the event loop.
import { createHash, timingSafeEqual } from 'node:crypto'
import { chmodSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { Pool, PoolClient, QueryResult } from './pool.js'
import type { PglitePool } from './pglite-pool.js'
import {
  encodeFrame,
  FrameError,
  MAX_AUTH_FRAME_BYTES,
  MAX_FRAME_BYTES,
  readFrames,
  type FrameAnswer,
  type ReplyFrame,
} from './remote-frames.js'
import { reviveError, serializeError, type SerializedError } from './session-errors.js'

interface AuthFrame {
  auth: string
}

/** A session that holds the lock without sending anything (and with nothing running) for this long is cut off. */
const IDLE_SESSION_MS = 30_000
/** A connection must present the secret this soon. */
const AUTH_TIMEOUT_MS = 5_000

const isAuthFrame = (frame: unknown): frame is AuthFrame =>
  typeof frame === 'object' && frame !== null && typeof (frame as AuthFrame).auth === 'string'
const isReplyFrame = (frame: unknown): frame is ReplyFrame =>
  typeof frame === 'object' &&
  frame !== null &&
  ((frame as { ready?: unknown }).ready === true ||
    typeof (frame as { result?: unknown }).result === 'object' ||
    typeof (frame as { error?: { message?: unknown } }).error?.message === 'string')

// Hashing first gives timingSafeEqual equal lengths, so neither the content nor the length of
// the secret leaks through the comparison's timing.
const digest = (text: string) => createHash('sha256').update(text).digest()
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected))

export interface RemoteSessionServer {
  /** Stops accepting sessions and cuts the open ones (their transactions roll back). */
  close(): Promise<void>
}

export function serveRemoteSessions(pool: PglitePool, socketPath: string, secret: string): Promise<RemoteSessionServer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    void runSession(pool, socket, secret)
  })
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      for (const socket of sockets) socket.destroy()
    })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => {
      server.off('error', reject)
      // The socket's mode follows the umask (0777 under umask 000); only the owner may connect.
      try {
        chmodSync(socketPath, 0o600)
      } catch (error) {
        void close().then(() => reject(error as Error))
        return
      }
      resolve({ close })
    })
  })
}

async function runSession(pool: PglitePool, socket: Socket, secret: string): Promise<void> {
  const ended = new AbortController()
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      ended.abort(new Error('the session closed'))
      resolve()
    }),
  )
  socket.on('error', () => socket.destroy())
  let stage: 'auth' | 'waiting' | 'ready' = 'auth'
  let chain = Promise.resolve()
  let running = 0
  let idle: NodeJS.Timeout | undefined
  const armIdle = () => {
    clearTimeout(idle)
    idle = setTimeout(() => socket.destroy(), IDLE_SESSION_MS)
  }
  let broken = false
  /** Ends this session only: an error frame if the socket still takes one, then close. */
  const fail = (error: SerializedError) => {
    broken = true
    reader.stop()
    if (socket.destroyed) return
    socket.end(`${JSON.stringify({ error })}\n`, () => socket.destroy())
    setTimeout(() => socket.destroy(), 1_000).unref()
  }
  let authenticated!: (ok: boolean) => void
  const authentication = new Promise<boolean>((resolve) => (authenticated = resolve))
  void closed.then(() => authenticated(false))
  const authTimer = setTimeout(() => fail({ message: 'authentication timed out', code: '28000' }), AUTH_TIMEOUT_MS)

  const reader = readFrames(
    socket,
    MAX_AUTH_FRAME_BYTES,
    (frame) => {
      if (stage === 'auth') {
        clearTimeout(authTimer)
        if (!isAuthFrame(frame) || !sameSecret(frame.auth, secret)) return fail({ message: 'authentication failed', code: '28P01' })
        stage = 'waiting'
        reader.limit = MAX_FRAME_BYTES
        reader.raw = true
        return authenticated(true)
      }
      if (stage !== 'ready' || !(frame instanceof Uint8Array))
        return fail({ message: stage === 'ready' ? 'not a query frame' : 'a query before ready', code: '08P01' })
      clearTimeout(idle)
      running++
      chain = chain.then(async () => {
        // A client that went away (or broke the protocol) has nobody to answer; its
        // transaction rolls back below.
        if (ended.signal.aborted || broken) return
        // The database thread parses the statement, runs it and encodes the reply.
        let answer: FrameAnswer
        try {
          answer = await pool.db.answerFrame(frame)
        } catch (error) {
          answer = { reply: encodeFrame({ error: serializeError(error) }, 'an error') }
        }
        if ('violation' in answer) return fail(answer.violation)
        socket.write(answer.reply)
        if (--running === 0 && !ended.signal.aborted) armIdle()
      })
    },
    (error) => fail(serializeError(error)),
  )

  if (!(await authentication)) return clearTimeout(authTimer)
  let unlock: () => void
  try {
    // Aborted when the client goes away while waiting (Ctrl-C on a CLI queued behind an
    // import): the Mutex then passes the lock straight on instead of leaving it held by nobody.
    unlock = await pool.mutex.lock(ended.signal)
  } catch {
    return
  }
  try {
    if (!ended.signal.aborted) {
      stage = 'ready'
      socket.write(encodeFrame({ ready: true }, 'ready'))
      armIdle()
      await closed
    }
    clearTimeout(idle)
    await chain
  } finally {
    // Roll back what it left open and undo what it changed, before the next caller gets the
    // session. A failure here is the store's own (it is closed then, see restoreSession).
    await pool.restoreSession().catch(() => undefined)
    unlock()
  }
}

/** The client side: each `connect()` opens one session on the owner's socket, presenting `secret`. */
export class RemotePool implements Pool {
  constructor(
    readonly socketPath: string,
    private readonly secret: string,
  ) {}

  connect(): Promise<PoolClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.socketPath)
      const waiting: Array<{ resolve: (r: QueryResult) => void; reject: (e: Error) => void }> = []
      let ready = false
      let failure: Error | undefined
      const fail = (error: Error) => {
        failure ??= error
        if (!ready) reject(error)
        for (const pending of waiting.splice(0)) pending.reject(error)
        socket.destroy()
      }
      socket.on('error', (error) => fail(Object.assign(error, { code: (error as NodeJS.ErrnoException).code })))
      socket.on('close', () => fail(Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' })))
      const reader = readFrames(
        socket,
        MAX_FRAME_BYTES,
        (frame) => {
          if (!isReplyFrame(frame)) return fail(new FrameError('the embedded store sent an unexpected frame'))
          if ('ready' in frame) {
            ready = true
            resolve({
              query: (sql, parameters) =>
                new Promise<QueryResult>((resolveQuery, rejectQuery) => {
                  if (failure) return rejectQuery(failure)
                  let text: string
                  try {
                    text = encodeFrame({ sql, parameters: [...parameters] }, 'the statement and its parameters')
                  } catch (error) {
                    return rejectQuery(error as Error)
                  }
                  waiting.push({ resolve: resolveQuery, reject: rejectQuery })
                  socket.write(text)
                }),
              release: () => socket.end(),
            })
          } else if ('result' in frame) waiting.shift()?.resolve(frame.result)
          else {
            const error = reviveError(frame.error)
            // Before "ready" an error frame is the server refusing the session.
            if (!ready) fail(error)
            else waiting.shift()?.reject(error)
          }
        },
        (error) => {
          reader.stop()
          fail(error)
        },
      )
      socket.write(encodeFrame({ auth: this.secret }, 'the secret'))
    })
  }

  async end(): Promise<void> {}
}
