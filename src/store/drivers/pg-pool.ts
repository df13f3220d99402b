// node-postgres pool for the production store. Types are overridden so rows look exactly
// like the embedded driver's: timestamptz and int8 as text, in a UTC session.
import pg from 'pg'
import type { Pool } from './pool.js'

const TEXT_OIDS = new Set([pg.types.builtins.INT8, pg.types.builtins.TIMESTAMPTZ])

export interface PgPoolOptions {
  connectionString: string
  max?: number
  statementTimeoutMs?: number
  onError?: (error: Error) => void
}

export function createPgPool(options: PgPoolOptions): pg.Pool & Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    options: `-c TimeZone=UTC -c statement_timeout=${options.statementTimeoutMs ?? 0}`,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        TEXT_OIDS.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  })
  // A client losing its connection (server restart, network) emits 'error'; unhandled, that
  // would crash the process. Idle clients report through the pool, checked-out ones through
  // their own listener; either way the pool discards them and the next query reconnects.
  pool.on('error', (error) => options.onError?.(error))
  pool.on('connect', (client) => client.on('error', (error) => options.onError?.(error)))
  return pool as pg.Pool & Pool
}
