// The database thread: owns the PGlite instance and runs what the server's thread sends it, in
// the order it arrives. It takes no decisions: the session lock, timeouts and the restoring of
// the session after a remote client all stay in PglitePool, which sends a transaction's
// statements only while it holds the lock, so they never interleave with another caller's.
import { parentPort, workerData } from 'node:worker_threads'
import type { PGlite } from '@electric-sql/pglite'
import { openPglite, runOnPglite } from './pglite-session.js'
import { answerQueryFrame } from './remote-frames.js'
import type { ThreadData, ThreadMessage, ThreadRequest } from './pglite-thread-messages.js'
import { serializeError } from './session-errors.js'

const port = parentPort!
const post = (message: ThreadMessage) => port.postMessage(message)
const { dataDir } = workerData as ThreadData

let db: PGlite
try {
  db = await openPglite(dataDir)
  const { rows } = await db.query<{ user: string }>('SELECT session_user AS "user"')
  post({ type: 'ready', sessionUser: rows[0]!.user })
} catch (error) {
  // The pool rejects its start with this and terminates the thread.
  post({ type: 'start-failed', error: serializeError(error) })
  throw error
}

const unsubscribers = new Map<string, () => Promise<void>>()
const inTransaction = () => !db.closed && db.isInTransaction()

async function handle(request: ThreadRequest): Promise<void> {
  switch (request.op) {
    case 'query':
      return post({
        type: 'reply',
        id: request.id,
        value: await runOnPglite(db, request.sql, request.parameters),
        inTransaction: inTransaction(),
      })
    case 'frame': {
      const answer = await answerQueryFrame(request.bytes, (sql, parameters) => runOnPglite(db, sql, parameters))
      return post({ type: 'reply', id: request.id, value: answer, inTransaction: inTransaction() })
    }
    case 'listen': {
      const { channel } = request
      if (!unsubscribers.has(channel))
        unsubscribers.set(channel, await db.listen(channel, (payload) => post({ type: 'notify', channel, payload })))
      break
    }
    case 'unlisten':
      await unsubscribers.get(request.channel)?.()
      unsubscribers.delete(request.channel)
      break
    case 'close':
      // PGlite's close shuts the backend down cleanly: what was committed is on disk.
      if (!db.closed) await db.close()
      post({ type: 'reply', id: request.id, inTransaction: false })
      // Nothing keeps the thread alive after this: it ends, and the pool sees it exit.
      port.close()
      return
  }
  post({ type: 'reply', id: request.id, inTransaction: inTransaction() })
}

port.on('message', (request: ThreadRequest) => {
  handle(request).catch((error: unknown) =>
    post({ type: 'reply', id: request.id, error: serializeError(error), inTransaction: inTransaction() }),
  )
})
