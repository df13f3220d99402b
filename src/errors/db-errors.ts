// Driver and database failures → AppError, in one place, by SQLSTATE or errno. Anything not
// listed is a bug (an input the parser should have refused, a broken query) and stays a 500.
import { AppError } from './app-error.js'

const RETRY_AFTER_SECONDS = '5'
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENOENT', 'EAI_AGAIN'])
// node-postgres, PGlite and Kysely report these connection failures (and a store being shut
// down) without any code, only this text.
const DRIVER_CONNECTION_MESSAGES = [
  /^timeout exceeded when trying to connect/i,
  /^Connection terminated/i,
  /PGlite is closed/i,
  /driver has already been destroyed/i,
  /Cannot use a pool after calling end/i,
]

function unavailable(detail: string): AppError {
  return new AppError('store-unavailable', detail, { headers: { 'retry-after': RETRY_AFTER_SECONDS } })
}

export function fromDatabaseError(error: unknown): AppError | undefined {
  if (!(error instanceof Error)) return undefined
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (code === '57014') return new AppError('query-timeout', 'The query took too long and was cancelled; narrow the filters or try again.', { headers: { 'retry-after': RETRY_AFTER_SECONDS } })
    if (code.startsWith('08') || code === '53300' || code === '57P01' || code === '57P02' || code === '57P03')
      return unavailable('The ticket store is temporarily unavailable; try again shortly.')
    if (NETWORK_ERRNOS.has(code)) return unavailable('The ticket store cannot be reached; try again shortly.')
  }
  if (DRIVER_CONNECTION_MESSAGES.some((pattern) => pattern.test(error.message)))
    return unavailable('The ticket store cannot be reached; try again shortly.')
  return undefined
}
