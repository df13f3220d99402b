// Start-up failures phrased for the user: one line that names the problem and the store.
// Kept apart from open.ts so that the CLI can report errors without loading the store code.
import { ConfigError, type Config } from '../config.js'
import { fromDatabaseError } from '../errors/db-errors.js'

export function where(config: Readonly<Config>): string {
  if (!config.databaseUrl) return `the embedded store in ${config.dataDir}`
  try {
    const url = new URL(config.databaseUrl)
    return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`
  } catch {
    return 'PostgreSQL'
  }
}

export function describeStartupError(error: unknown, config?: Readonly<Config>): string {
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join('; ')}`
  const message = error instanceof Error ? error.message : String(error)
  const target = config ? where(config) : 'the store'
  // A lock wait that gave up (lock-timeout.ts) already says what it waited for.
  if ((error as { code?: unknown } | undefined)?.code === '55P03') return `${message} on ${target}`
  const known = fromDatabaseError(error)
  if (known?.slug === 'query-timeout') return `a statement on ${target} timed out: ${message}`
  if (known) return `cannot reach ${target}: ${message || (error as { code?: string }).code}`
  return `cannot open ${target}: ${message}`
}

/** A failure already phrased for the user. */
export class StartupError extends Error {
  override name = 'StartupError'
}
