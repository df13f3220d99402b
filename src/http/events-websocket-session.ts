// One websocket's life (GET /wssprd): its subscriptions, a follower of the provider's shared tail
// whose filter is those subscriptions, pings, and the end. The protocol is the real API's (see
// events/ws-protocol.ts); ws does the framing. The connection closes with
//   1008 when the access token expires (reconnect with a fresh one) or the client floods messages,
//   1013 when the client does not read what is sent in time,
//   1001 when the server shuts down, 1011 when the stream cannot go on (the store failed).
// There is no resume on this protocol: a reconnected client gets events from then on; use the
// SSE stream or the feed to miss nothing.
import type { FastifyBaseLogger } from 'fastify'
import type { WebSocket } from 'ws'
import { Follower, type EventSink, type FollowEnd } from '../events/follower.js'
import type { SuspendableSlot } from '../events/long-poll.js'
import type { ProviderTail } from '../events/provider-tail.js'
import type { StreamSettings } from '../events/stream-settings.js'
import { acknowledgement, errorMessage, eventReceived, parseClientMessage, SUBSCRIBE, subscriptionFilter } from '../events/ws-protocol.js'
import type { EventFeedStore } from '../store/event-feed.js'

/** Bytes queued for a client before sending waits for it to read (and drops it after drainTimeoutMs). */
const HIGH_WATER = 256 * 1024
/** Messages a client may send per second: a few (un)subscriptions are all the protocol needs. */
const MESSAGES_PER_SECOND = 20

export interface WebsocketSessionOptions {
  socket: WebSocket
  tail: ProviderTail
  store: Pick<EventFeedStore, 'readFeed'>
  settings: StreamSettings
  /** The access token's expiry, in ms since the epoch (of `now`, the app's clock). */
  endsBy: number | undefined
  now: () => number
  stopping: AbortSignal
  slot: SuspendableSlot | undefined
  log: FastifyBaseLogger
  onEnd: () => void
}

export function runWebsocketSession(options: WebsocketSessionOptions): void {
  const { socket, settings, log } = options
  const done = new AbortController()
  const subscriptions = new Set<string>()
  const closeWith = (code: number, reason: string) => {
    done.abort()
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason)
  }

  let drainWaiters: Array<(ok: boolean) => void> = []
  const settleDrain = (ok: boolean) => {
    const waiters = drainWaiters
    drainWaiters = []
    for (const resolve of waiters) resolve(ok)
  }
  const sink: EventSink = {
    send: (entry) => {
      // The callback runs once ws has handed the frame to the socket: a chance to see it drain.
      socket.send(eventReceived(entry), (error) => {
        if (error) settleDrain(false)
        else if (socket.bufferedAmount < HIGH_WATER / 2) settleDrain(true)
      })
      return socket.bufferedAmount < HIGH_WATER
    },
    drained: () =>
      new Promise<boolean>((resolve) => {
        if (done.signal.aborted) return resolve(false)
        const timer = setTimeout(() => settleDrain(false), settings.drainTimeoutMs)
        drainWaiters.push((ok) => {
          clearTimeout(timer)
          resolve(ok)
        })
      }),
  }
  done.signal.addEventListener('abort', () => settleDrain(false), { once: true })

  let messages = 0
  const window = setInterval(() => (messages = 0), 1_000)
  socket.on('message', (data, isBinary) => {
    if (++messages > MESSAGES_PER_SECOND) return closeWith(1008, 'too many messages')
    const parsed = isBinary
      ? ({ error: 'invalid-message', detail: 'Send text messages (JSON), not binary ones.' } as const)
      : parseClientMessage(data.toString())
    if ('error' in parsed) return void socket.send(errorMessage(parsed))
    if (parsed.action === SUBSCRIBE) subscriptions.add(parsed.eventType)
    else subscriptions.delete(parsed.eventType)
    socket.send(acknowledgement(parsed.action, parsed.eventType))
  })

  // A peer that has not answered the previous ping is gone (or its proxy is).
  let alive = true
  socket.on('pong', () => (alive = true))
  const ping = setInterval(() => {
    if (!alive) return void socket.terminate()
    alive = false
    socket.ping()
  }, settings.pingMs)
  const expiry =
    options.endsBy === undefined
      ? undefined
      : setTimeout(() => closeWith(1008, 'access token expired: reconnect with a fresh token'), Math.max(0, options.endsBy - options.now()))
  const stop = () => closeWith(1001, 'server shutting down: reconnect')
  options.stopping.addEventListener('abort', stop, { once: true })
  if (options.stopping.aborted) stop()

  socket.once('close', () => {
    done.abort()
    clearInterval(window)
    clearInterval(ping)
    clearTimeout(expiry)
    options.stopping.removeEventListener('abort', stop)
    options.onEnd()
  })

  const follower = new Follower({
    tail: options.tail,
    store: options.store,
    filter: () => subscriptionFilter(subscriptions),
    start: 'tail',
    sink,
    signal: done.signal,
    slot: options.slot,
  })
  const CLOSE: Record<Exclude<FollowEnd, 'stopped'>, [number, string]> = {
    slow: [1013, 'events were not read in time: reconnect'],
    'tail-closed': [1011, 'the stream cannot go on: reconnect'],
    lost: [1011, 'the stream cannot go on: reconnect'],
    busy: [1013, 'too many requests in flight: reconnect'],
  }
  follower.run().then(
    (reason) => {
      log.debug({ reason }, 'websocket stream ended')
      if (reason !== 'stopped') closeWith(...CLOSE[reason])
    },
    (error: unknown) => {
      log.warn({ err: error }, 'websocket stream failed; closing it')
      closeWith(1011, 'the stream failed: reconnect')
    },
  )
}
