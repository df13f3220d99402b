// How live streams (SSE and websocket) behave, with the reasons for the defaults. The server
// takes its values from the config (TICKETS_STREAM_*); tests shrink the times.
export interface StreamSettings {
  /** An SSE stream ends after 80–100 % of this (jittered, so reconnects spread out); the client resumes. */
  maxMs: number
  /** A `: keep-alive` comment this often, so proxies and clients see a live connection. */
  heartbeatMs: number
  /** The `retry:` hint: how long an EventSource waits before reconnecting. */
  retryMs: number
  /** A client that does not take what was sent within this long is dropped (it resumes later). */
  drainTimeoutMs: number
  /** SSE streams and websockets open at once per API client; 0: unlimited. */
  perClient: number
  /** Events each provider's shared tail keeps for subscribers a little behind. */
  ringSize: number
  /** Websocket pings this often; a socket that has not answered the previous one is closed. */
  pingMs: number
}

export const DEFAULT_STREAM_SETTINGS: Readonly<StreamSettings> = Object.freeze({
  // 5 minutes: long enough that reconnects cost little, short enough that a deploy or a proxy
  // that silently dropped the connection never strands a partner for long.
  maxMs: 300_000,
  // 15 s: below the 30–60 s idle timeouts of common proxies and load balancers.
  heartbeatMs: 15_000,
  // 1 s: a stream the server ended resumes at once; nothing is lost meanwhile (Last-Event-ID).
  retryMs: 1_000,
  // 30 s: a client on a slow link drains in seconds; one that does not is stuck or gone.
  drainTimeoutMs: 30_000,
  // 10: a partner needs one or two (one per consumer process); more is a leak or a loop.
  perClient: 10,
  // 2048 events (about 1–2 MB per provider with live streams): a few seconds of a busy provider.
  ringSize: 2048,
  // 30 s: well inside common proxies' idle timeouts; a dead peer is noticed within a minute.
  pingMs: 30_000,
})

/** The lifetime of one SSE stream: 80–100 % of the maximum, so reconnects do not all come at once. */
export function streamLifetimeMs(settings: Pick<StreamSettings, 'maxMs'>, random: () => number = Math.random): number {
  return Math.round(settings.maxMs * (1 - 0.2 * random()))
}
