// Migrations and imports take locks that other sessions may hold for long (a migration
// another process is applying, a long transaction on tickets). Waiting forever hides the
// problem; they wait at most LOCK_TIMEOUT_MS (SET LOCAL: their transaction only), then fail
// with a message that says what they waited for. The API's own statements are short and
// bounded by statement_timeout instead.
import { sql, type Transaction } from 'kysely'
import type { Database } from './database.js'

export const LOCK_TIMEOUT_MS = 10_000
const LOCK_NOT_AVAILABLE = '55P03'

/** A lock wait that gave up. Keeps SQLSTATE 55P03, so the HTTP side answers 503 with Retry-After. */
export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError'
  readonly code = LOCK_NOT_AVAILABLE

  constructor(what: string, timeoutMs: number, options?: ErrorOptions) {
    super(`gave up after ${timeoutMs / 1000} s waiting for ${what}`, options)
  }
}

export async function limitLockWaits(trx: Transaction<Database>, timeoutMs: number): Promise<void> {
  await sql`SELECT set_config('lock_timeout', ${`${timeoutMs}ms`}, true)`.execute(trx)
}

/** Runs `work`; a lock wait that timed out inside it becomes a LockTimeoutError naming `what`. */
export async function waitingFor<T>(what: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE && !(error instanceof LockTimeoutError))
      throw new LockTimeoutError(what, timeoutMs, { cause: error })
    throw error
  }
}
