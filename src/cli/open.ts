// Opening the configured store for a CLI command; a failure becomes one line naming the
// problem (never a stack trace).
import type { Config } from '../config.js'
import { openStore, type StoreOptions } from '../store/open-store.js'
import type { Store } from '../store/store.js'
import { describeStartupError, StartupError } from './startup-errors.js'

export async function openConfiguredStore(config: Readonly<Config>, role: string, extra: Partial<StoreOptions> = {}): Promise<Store> {
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
