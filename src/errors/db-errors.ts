// Driver and database failures → AppError, in one place, by SQLSTATE or errno. Anything not
// listed is a bug (a broken query, a violated constraint) and stays a 500.
import { AppError } from './app-error.js'

const RETRY_AFTER_SECONDS = '5'
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENOENT', 'EAI_AGAIN'])
// node-postgres, PGlite and Kysely report these connection failures (and a store being shut
// down) without any code, only this text.
const DRIVER_CONNECTION_MESSAGES = [
  /^timeout exceeded when trying to connect/i,
  /^Connection terminated/i,
  // A query on a connection that already broke, e.g. Kysely's ROLLBACK after a failed statement
  // (its error then replaces the first one).
  /has encountered a connection error and is not queryable/i,
  /PGlite is closed/i,
  /driver has already been destroyed/i,
  /Cannot use a pool after calling end/i,
]
// node-postgres' client-side query_timeout (drivers/pg-pool.ts): the server did not answer in
// time, most likely because the network to it is gone; the connection is discarded.
const CLIENT_QUERY_TIMEOUT = /^Query read timeout/
// Resource and system failures on the server's side: they pass (disk space is freed, memory
// comes back, the I/O error is repaired) and say nothing about the request.
const SERVER_TROUBLE = new Set(['53100', '53200', '53300', '57P01', '57P02', '57P03'])

function unavailable(detail: string): AppError {
  return new AppError('store-unavailable', detail, { headers: { 'retry-after': RETRY_AFTER_SECONDS } })
}

const sqlState = (error: unknown): string | undefined => {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

/**
 * A data exception (SQLSTATE class 22): PostgreSQL refused a value (out of range, malformed)
 * that the request parsers let through. Answered as a 400, but it means a parser must be
 * tightened: the problem handler logs it at warn level.
 */
export function isDataException(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') ?? false
}

export function fromDatabaseError(error: unknown): AppError | undefined {
  if (!(error instanceof Error)) return undefined
  const code = sqlState(error)
  if (code !== undefined) {
    if (code === '57014')
      return new AppError('query-timeout', 'The query took too long and was cancelled; narrow the filters or try again.', {
        headers: { 'retry-after': RETRY_AFTER_SECONDS },
      })
    if (code === '55P03') return unavailable('The ticket store is busy (a lock was not granted in time); try again shortly.')
    // A deadlock or serialization failure that outlasted the ledger's own retries: contention, not a bug.
    if (code === '40P01' || code === '40001')
      return unavailable('The ticket store is busy (concurrent changes collided); try again shortly.')
    if (code.startsWith('08') || code.startsWith('58') || SERVER_TROUBLE.has(code))
      return unavailable('The ticket store is temporarily unavailable; try again shortly.')
    if (code.startsWith('22')) return new AppError('invalid-value', 'A value in the request is outside what the ticket store can hold.')
    if (NETWORK_ERRNOS.has(code)) return unavailable('The ticket store cannot be reached; try again shortly.')
  }
  if (CLIENT_QUERY_TIMEOUT.test(error.message)) return unavailable('The ticket store did not answer in time; try again shortly.')
  if (DRIVER_CONNECTION_MESSAGES.some((pattern) => pattern.test(error.message)))
    return unavailable('The ticket store cannot be reached; try again shortly.')
  return undefined
}
