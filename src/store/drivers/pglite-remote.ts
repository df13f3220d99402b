// Lets other processes (the CLI) use a PGlite database that a running server owns: a
// session protocol over a Unix socket, one newline-delimited JSON frame per message.
// A session holds the owner's lock from "ready" until the socket closes, exactly like a
// local connection, so a remote transaction is as isolated as a local one.
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { Pool, PoolClient, QueryResult } from './pool.js'
import { runOnPglite, type PglitePool } from './pglite-pool.js'

interface QueryFrame {
  sql: string
  parameters: unknown[]
}
type ReplyFrame = { ready: true } | { result: QueryResult } | { error: SerializedError }

interface SerializedError {
  message: string
  code?: string
  detail?: string
  constraint?: string
}

const ERROR_FIELDS = ['code', 'detail', 'constraint'] as const

/** A session that holds the lock without sending anything for this long is cut off. */
const IDLE_SESSION_MS = 30_000

function onFrames(socket: Socket, handle: (frame: unknown) => void): void {
  let buffered = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    let newline: number
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      handle(JSON.parse(line))
    }
  })
}

const send = (socket: Socket, frame: ReplyFrame | QueryFrame) => socket.write(`${JSON.stringify(frame)}\n`)

export interface RemoteSessionServer {
  /** Stops accepting sessions and cuts the open ones (their transactions roll back). */
  close(): Promise<void>
}

export function serveRemoteSessions(pool: PglitePool, socketPath: string): Promise<RemoteSessionServer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    void runSession(pool, socket)
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
      resolve({ close })
    })
  })
}

async function runSession(pool: PglitePool, socket: Socket): Promise<void> {
  socket.on('error', () => socket.destroy())
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const unlock = await Promise.race([pool.mutex.lock(), closed.then(() => undefined)])
  if (!unlock) return
  let chain = Promise.resolve()
  let idle = setTimeout(() => socket.destroy(), IDLE_SESSION_MS)
  onFrames(socket, (frame) => {
    clearTimeout(idle)
    idle = setTimeout(() => socket.destroy(), IDLE_SESSION_MS)
    const { sql, parameters } = frame as QueryFrame
    chain = chain.then(async () => {
      try {
        send(socket, { result: await runOnPglite(pool.db, sql, parameters) })
      } catch (error) {
        const e = error as Error & Partial<Record<(typeof ERROR_FIELDS)[number], string>>
        const serialized: SerializedError = { message: e.message }
        for (const field of ERROR_FIELDS) if (typeof e[field] === 'string') serialized[field] = e[field]
        send(socket, { error: serialized })
      }
    })
  })
  send(socket, { ready: true })
  await closed
  clearTimeout(idle)
  await chain
  // A client that vanished mid-transaction must not leave the database inside it.
  if (!pool.db.closed && pool.db.isInTransaction()) await pool.db.exec('ROLLBACK').catch(() => undefined)
  unlock()
}

/** The client side: each `connect()` opens one session on the owner's socket. */
export class RemotePool implements Pool {
  constructor(readonly socketPath: string) {}

  connect(): Promise<PoolClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.socketPath)
      const waiting: Array<{ resolve: (r: QueryResult) => void; reject: (e: Error) => void }> = []
      let ready = false
      const fail = (error: Error) => {
        if (!ready) reject(error)
        for (const pending of waiting.splice(0)) pending.reject(error)
      }
      socket.on('error', (error) => fail(Object.assign(error, { code: (error as NodeJS.ErrnoException).code })))
      socket.on('close', () => fail(Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' })))
      onFrames(socket, (frame) => {
        const reply = frame as ReplyFrame
        if ('ready' in reply) {
          ready = true
          resolve({
            query: (sql, parameters) =>
              new Promise<QueryResult>((resolveQuery, rejectQuery) => {
                waiting.push({ resolve: resolveQuery, reject: rejectQuery })
                send(socket, { sql, parameters: [...parameters] })
              }),
            release: () => socket.end(),
          })
        } else if ('result' in reply) waiting.shift()?.resolve(reply.result)
        else waiting.shift()?.reject(Object.assign(new Error(reply.error.message), reply.error))
      })
    })
  }

  async end(): Promise<void> {}
}
