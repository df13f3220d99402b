// Opening the configured store for a CLI command, and turning start-up failures into one
// line that names the problem (never a stack trace).
import { ConfigError, loadConfig, type Config } from '../config.js'
import { fromDatabaseError } from '../errors/db-errors.js'
import { openStore, type StoreOptions } from '../store/open-store.js'
import type { SqlStore } from '../store/sql-store.js'

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
  if (fromDatabaseError(error)) return `cannot reach ${target}: ${message || (error as { code?: string }).code}`
  return `cannot open ${target}: ${message}`
}

export async function openConfiguredStore(
  config: Readonly<Config>,
  role: string,
  extra: Partial<StoreOptions> = {},
): Promise<SqlStore> {
  try {
    return await openStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      role,
      poolSize: config.poolSize,
      statementTimeoutMs: config.statementTimeoutMs,
      onWait: (message) => process.stderr.write(`tickets: ${message}\n`),
      ...extra,
    })
  } catch (error) {
    throw new StartupError(describeStartupError(error, config))
  }
}

/** A failure already phrased for the user. */
export class StartupError extends Error {
  override name = 'StartupError'
}

export { loadConfig }
