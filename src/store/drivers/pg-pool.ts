// node-postgres pool for the production store. Types are overridden so rows look exactly
// like the embedded driver's: timestamptz and int8 as text, in a UTC session.
import pg from 'pg'
import type { NotificationHandlers, Pool } from './pool.js'

const TEXT_OIDS = new Set([pg.types.builtins.INT8, pg.types.builtins.TIMESTAMPTZ])
const RECONNECT_MS = { first: 500, max: 30_000 }

export interface PgPoolOptions {
  connectionString: string
  max?: number
  statementTimeoutMs?: number
  onError?: (error: Error) => void
}

export function createPgPool(options: PgPoolOptions): pg.Pool & Pool {
  const config: pg.PoolConfig = {
    connectionString: options.connectionString,
    connectionTimeoutMillis: 5_000,
    options: `-c TimeZone=UTC -c statement_timeout=${options.statementTimeoutMs ?? 0}`,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        TEXT_OIDS.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  }
  const pool = new pg.Pool({ ...config, max: options.max ?? 10, idleTimeoutMillis: 30_000 }) as pg.Pool & Pool
  // A client losing its connection (server restart, network) emits 'error'; unhandled, that
  // would crash the process. Idle clients report through the pool, checked-out ones through
  // their own listener; either way the pool discards them and the next query reconnects.
  pool.on('error', (error) => options.onError?.(error))
  pool.on('connect', (client) => client.on('error', (error) => options.onError?.(error)))
  pool.listen = (channel, handlers) => listen(config, channel, handlers, options.onError)
  return pool
}

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries), kept
 * alive across outages: on loss it reports onLost and reconnects with backoff.
 */
async function listen(
  config: pg.ClientConfig,
  channel: string,
  handlers: NotificationHandlers,
  onError?: (error: Error) => void,
): Promise<() => Promise<void>> {
  let stopped = false
  let client: pg.Client | undefined
  let delay = RECONNECT_MS.first
  let timer: NodeJS.Timeout | undefined

  const connect = async (): Promise<void> => {
    if (stopped) return
    const next = new pg.Client(config)
    const lost = () => {
      if (client !== next) return
      client = undefined
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
      delay = RECONNECT_MS.first
      handlers.onSubscribed()
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
    const current = client
    client = undefined
    await current?.end().catch(() => undefined)
  }
}
