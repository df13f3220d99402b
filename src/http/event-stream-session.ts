// One SSE stream's life, from the first frame to the last: the `retry:` hint, the announced
// start position, the events its follower sends, a comment heartbeat, and the end — after its
// (jittered) lifetime or when the access token expires, when the server stops, when the client
// leaves, or when the client stops reading. Ending on purpose, it first announces how far the
// stream got, so that the client's Last-Event-ID resumes right there, filters or not.
import { PassThrough, type Readable, type Writable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { START_OF_FEED } from '../domain/event-stream-query.js'
import type { FeedEntry } from '../events/feed-entry.js'
import { Follower, type EventSink, type FollowEnd } from '../events/follower.js'
import type { SuspendableSlot } from '../events/long-poll.js'
import type { ProviderTail } from '../events/provider-tail.js'
import { streamLifetimeMs, type StreamSettings } from '../events/stream-settings.js'
import type { EventFeedStore, FeedFilter } from '../store/event-feed.js'
import { commentFrame, eventFrame, retryFrame } from './sse-frames.js'

/**
 * Not a feed event: it carries the stream's position (`id:`, and `after_id` in its data). Sent
 * first by a stream that starts at the end of the feed, and last by a stream the server ends.
 */
export const POSITION_EVENT = 'stream.position'

export interface SseSessionOptions {
  tail: ProviderTail
  store: Pick<EventFeedStore, 'readFeed'>
  filter: FeedFilter
  /** After this event (undefined: before every event), or at the tail's end. */
  start: { after: string | undefined } | 'tail'
  settings: StreamSettings
  /** The latest the stream may last until (the access token's expiry), in ms since the epoch (of `now`, the app's clock). */
  endsBy: number | undefined
  now: () => number
  /** Aborted when the server stops: the stream ends at once. */
  stopping: AbortSignal
  slot: SuspendableSlot | undefined
  log: FastifyBaseLogger
  /** Cuts the connection of a client that stopped reading. */
  drop: () => void
  /** Called once the stream is over, whatever ended it. */
  onEnd: () => void
}

export function openSseSession(options: SseSessionOptions): Readable {
  const { settings } = options
  const body = new PassThrough()
  const done = new AbortController()
  const end = () => done.abort()
  let lastSent: string | undefined
  const write = (text: string) => (body.destroyed || body.writableEnded ? false : body.write(text))
  const announce = (id: string) => {
    lastSent = id
    return write(eventFrame(id, POSITION_EVENT, JSON.stringify({ after_id: id })))
  }
  const sink: EventSink = {
    send: (entry: FeedEntry) => {
      lastSent = entry.id
      return write(eventFrame(entry.id, entry.type, entry.doc))
    },
    drained: () => drained(body, settings.drainTimeoutMs, done.signal),
  }
  const follower = new Follower({
    tail: options.tail,
    store: options.store,
    filter: () => options.filter,
    start: options.start,
    sink,
    signal: done.signal,
    slot: options.slot,
  })

  write(retryFrame(settings.retryMs))
  if (options.start === 'tail') announce(follower.position ?? START_OF_FEED)
  const heartbeat = setInterval(() => write(commentFrame('keep-alive')), settings.heartbeatMs)
  const lifetimeMs = Math.min(streamLifetimeMs(settings), options.endsBy === undefined ? Infinity : options.endsBy - options.now())
  const lifetime = setTimeout(end, Math.max(0, lifetimeMs))
  options.stopping.addEventListener('abort', end, { once: true })
  if (options.stopping.aborted) end()
  // Fastify destroys the body when the client leaves.
  body.once('close', end)

  const finish = (reason: FollowEnd | 'error') => {
    clearInterval(heartbeat)
    clearTimeout(lifetime)
    options.stopping.removeEventListener('abort', end)
    options.log.debug({ reason, position: follower.position }, 'event stream ended')
    if (reason === 'slow') options.drop()
    else if (!body.destroyed) {
      if (follower.position !== undefined && follower.position !== lastSent) announce(follower.position)
      body.end(commentFrame('the server ends this stream: reconnect with Last-Event-ID to resume'))
    }
    options.onEnd()
  }
  follower.run().then(finish, (error: unknown) => {
    // The store failed under a catch-up read or the tail's: end here; the client resumes later.
    options.log.warn({ err: error }, 'event stream failed; the client will resume from its Last-Event-ID')
    finish('error')
  })
  return body
}

/** True once `stream` has drained; false when it did not within `timeoutMs`, closed, or `signal` aborted. */
function drained(stream: Writable, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  if (stream.destroyed || signal.aborted) return Promise.resolve(false)
  if (!stream.writableNeedDrain) return Promise.resolve(true)
  return new Promise((resolve) => {
    const settle = (ok: boolean) => {
      clearTimeout(timer)
      stream.off('drain', onDrain)
      stream.off('close', onClose)
      signal.removeEventListener('abort', onClose)
      resolve(ok)
    }
    const onDrain = () => settle(true)
    const onClose = () => settle(false)
    const timer = setTimeout(() => settle(false), timeoutMs)
    stream.once('drain', onDrain)
    stream.once('close', onClose)
    signal.addEventListener('abort', onClose, { once: true })
  })
}
