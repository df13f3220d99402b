// node-postgres pool for the production store. Types are overridden so rows look exactly
// like the embedded driver's: timestamptz and int8 as text, in a UTC session.
//
// A network that silently drops packets (a black hole) must not hang requests: connections use
// TCP keepalive, every query has a client-side deadline a little above the server's
// statement_timeout (so the server normally cancels first and answers 57014; the deadline only
// fires when no answer can arrive), and a connection whose query failed that way is discarded,
// never handed to the next query.
import type { Socket } from 'node:net'
import pg from 'pg'
import type { NotificationHandlers, Pool, PoolClient, QueryResult } from './pool.js'
import { preparedNameOf } from './prepared-statements.js'

const TEXT_OIDS = new Set([pg.types.builtins.INT8, pg.types.builtins.TIMESTAMPTZ])
const RECONNECT_MS = { first: 500, max: 30_000 }
const CONNECT_TIMEOUT_MS = 5_000
/** Idle time before the kernel probes a silent connection (Node cannot tune the probe interval). */
const KEEPALIVE_DELAY_MS = 10_000
/** How much later than the server's statement_timeout the client gives up on an answer. */
const QUERY_TIMEOUT_MARGIN_MS = 2_000
/** The LISTEN connection proves it is alive this often (a NOTIFY-only connection is otherwise silent). */
const HEARTBEAT_MS = 15_000
const HEARTBEAT_TIMEOUT_MS = 5_000

export interface PgPoolOptions {
  connectionString: string
  max?: number
  /** The server-side limit per statement; 0 = none (and then no client-side deadline either). */
  statementTimeoutMs?: number
  onError?: (error: Error) => void
  /** How often the LISTEN connection runs its heartbeat query (tests shorten it). */
  heartbeatMs?: number
}

export function createPgPool(options: PgPoolOptions): Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? 0
  const config: pg.PoolConfig = {
    connectionString: options.connectionString,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    options: `-c TimeZone=UTC -c statement_timeout=${statementTimeoutMs}`,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        TEXT_OIDS.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  }
  const pool = new pg.Pool({ ...config, max: options.max ?? 10, idleTimeoutMillis: 30_000 })
  // A client losing its connection (server restart, network) emits 'error'; unhandled, that
  // would crash the process. Idle clients report through the pool, checked-out ones through
  // their own listener; either way the pool discards them and the next query reconnects.
  pool.on('error', (error) => options.onError?.(error))
  pool.on('connect', (client) => client.on('error', (error) => options.onError?.(error)))
  const queryTimeoutMs = statementTimeoutMs > 0 ? statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS : 0
  return {
    connect: async () => guard(await pool.connect(), queryTimeoutMs),
    end: () => pool.end(),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    listen: (channel, handlers) => listen(config, channel, handlers, options.heartbeatMs ?? HEARTBEAT_MS, options.onError),
  }
}

// Migrations and imports lift the statement timeout for their transaction (SET LOCAL
// statement_timeout = 0): the client-side deadline is lifted with it until the transaction ends.
const LIFTS_STATEMENT_TIMEOUT = /^\s*set\s+local\s+statement_timeout\s*=\s*'?0'?\s*$/i
const ENDS_TRANSACTION = /^\s*(commit|rollback|end|abort)\b(?!\s+to\b)/i

/**
 * A pooled client whose queries carry the client-side deadline, and which is discarded on
 * release when a query failed without an answer from the server (deadline, broken connection):
 * such a connection may still have a query in flight, or be dead.
 */
function guard(client: pg.PoolClient, queryTimeoutMs: number): PoolClient {
  let lifted = false
  let broken = false
  return {
    async query(text: string, values: readonly unknown[]): Promise<QueryResult> {
      // query_timeout per query is honoured by pg's Client.query but missing from its types.
      const deadline = queryTimeoutMs > 0 && !lifted ? { query_timeout: queryTimeoutMs } : {}
      try {
        const name = preparedNameOf(text)
        const result = await client.query({ text, values: [...values], ...(name ? { name } : {}), ...deadline } as pg.QueryConfig)
        if (LIFTS_STATEMENT_TIMEOUT.test(text)) lifted = true
        else if (ENDS_TRANSACTION.test(text)) lifted = false
        return { command: result.command, rowCount: result.rowCount ?? 0, rows: result.rows as Record<string, unknown>[] }
      } catch (error) {
        if (ENDS_TRANSACTION.test(text)) lifted = false
        if (!isServerAnswer(error)) broken = true
        throw error
      }
    },
    release(): void {
      if (broken) destroySocket(client)
      // A truthy argument makes the pool drop the client instead of keeping it idle.
      client.release(broken ? new Error('discarded after a failed round trip') : undefined)
    },
  }
}

/** An error the server sent (the connection is in sync and reusable), except those that end the session. */
function isServerAnswer(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return false
  const code = error.code ?? ''
  return !code.startsWith('08') && !code.startsWith('57P')
}

/** Ends a connection at once: over a black hole, a polite Terminate would never be acknowledged. */
function destroySocket(client: pg.ClientBase): void {
  ;(client as unknown as { connection?: { stream?: Socket } }).connection?.stream?.destroy()
}

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries), kept
 * alive across outages: on loss it reports onLost and reconnects with backoff. A silent
 * connection looks healthy until written to, so a heartbeat query proves it every
 * `heartbeatMs`; one that fails or gets no answer in time counts as a loss.
 */
async function listen(
  config: pg.ClientConfig,
  channel: string,
  handlers: NotificationHandlers,
  heartbeatMs: number,
  onError?: (error: Error) => void,
): Promise<() => Promise<void>> {
  let stopped = false
  let client: pg.Client | undefined
  let delay = RECONNECT_MS.first
  let timer: NodeJS.Timeout | undefined
  let heartbeat: NodeJS.Timeout | undefined

  const connect = async (): Promise<void> => {
    if (stopped) return
    const next = new pg.Client(config)
    const lost = () => {
      if (client !== next) return
      client = undefined
      clearInterval(heartbeat)
      destroySocket(next)
      handlers.onLost()
      if (!stopped) timer = setTimeout(() => void connect(), delay)
      delay = Math.min(delay * 2, RECONNECT_MS.max)
    }
    next.on('error', (error) => {
      onError?.(error)
      lost()
    })
    next.on('end', lost)
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) handlers.onNotify(message.payload)
    })
    client = next
    try {
      await next.connect()
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
      if (client !== next) return // lost (or stopped) while subscribing
      delay = RECONNECT_MS.first
      handlers.onSubscribed()
      // query_timeout per query is honoured by pg's Client.query but missing from its types.
      const ping = { text: 'SELECT 1', query_timeout: Math.min(HEARTBEAT_TIMEOUT_MS, heartbeatMs) } as pg.QueryConfig
      heartbeat = setInterval(() => {
        next.query(ping).catch((error: Error) => {
          onError?.(error)
          lost()
        })
      }, heartbeatMs)
      heartbeat.unref()
    } catch (error) {
      onError?.(error as Error)
      lost()
      await next.end().catch(() => undefined)
    }
  }
  await connect()
  return async () => {
    stopped = true
    clearTimeout(timer)
    clearInterval(heartbeat)
    const current = client
    client = undefined
    await current?.end().catch(() => undefined)
  }
}
