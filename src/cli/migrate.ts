// tickets migrate: apply pending migrations (the server also does on start).
import { loadConfig } from '../config.js'
import { migrate } from '../store/migrate.js'
import { openConfiguredStore } from './open.js'
import { describeStartupError, StartupError, where } from './startup-errors.js'
import { parseCommandArgs } from './usage.js'

export async function migrateCommand(args: string[]): Promise<number> {
  parseCommandArgs(args, {})
  const config = loadConfig()
  const store = await openConfiguredStore(config, 'tickets migrate', { migrate: false })
  try {
    const applied = await migrate(store.db).catch((error: unknown) => {
      throw new StartupError(describeStartupError(error, config))
    })
    process.stdout.write(
      applied.length ? `Applied migrations ${applied.join(', ')} to ${where(config)}\n` : `${where(config)} is up to date\n`,
    )
    return 0
  } finally {
    await store.close()
  }
}
