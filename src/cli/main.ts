// The `tickets` command line: dispatch to one module per command, map failures to one line
// on stderr and the exit codes 0 (success), 1 (failure), 2 (usage).
import { ConfigError, describeConfig, loadConfig } from '../config.js'
import { buildOpenApiDocument } from '../http/openapi.js'
import { migrate } from '../store/migrate.js'
import { clientsCommand } from './clients.js'
import { exportCommand, importCommand } from './import-export.js'
import { describeStartupError, openConfiguredStore, StartupError, where } from './open.js'
import { serveCommand } from './serve.js'
import { EXIT_FAILURE, EXIT_USAGE, parseCommandArgs, USAGE, UsageError } from './usage.js'

async function migrateCommand(args: string[]): Promise<number> {
  parseCommandArgs(args, {})
  const config = loadConfig()
  const store = await openConfiguredStore(config, 'tickets migrate', { migrate: false })
  try {
    const applied = await migrate(store.db).catch((error: unknown) => {
      throw new StartupError(describeStartupError(error, config))
    })
    process.stdout.write(applied.length ? `Applied migrations ${applied.join(', ')} to ${where(config)}\n` : `${where(config)} is up to date\n`)
    return 0
  } finally {
    await store.close()
  }
}

async function openapiCommand(args: string[]): Promise<number> {
  parseCommandArgs(args, {})
  process.stdout.write(`${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`)
  return 0
}

async function configCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' } })
  const rows = describeConfig(loadConfig())
  if (values.json) process.stdout.write(`${JSON.stringify(Object.fromEntries(rows.map((r) => [r.key, r.value])))}\n`)
  else for (const row of rows) process.stdout.write(`${row.env}=${row.value}\n    # ${row.why}\n`)
  return 0
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  clients: clientsCommand,
  import: importCommand,
  export: exportCommand,
  openapi: openapiCommand,
  config: configCommand,
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return name === undefined ? EXIT_USAGE : 0
  }
  const command = COMMANDS[name]
  if (!command) {
    process.stderr.write(`tickets: unknown command "${name}" (see tickets --help)\n`)
    return EXIT_USAGE
  }
  try {
    return await command(args)
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tickets: ${error.message} (see tickets --help)\n`)
      return EXIT_USAGE
    }
    if (error instanceof StartupError || error instanceof ConfigError) {
      process.stderr.write(`tickets: ${error instanceof ConfigError ? describeStartupError(error) : error.message}\n`)
      return EXIT_FAILURE
    }
    process.stderr.write(`tickets: ${describeStartupError(error)}\n`)
    if (process.env.TICKETS_LOG_LEVEL === 'debug') console.error(error)
    return EXIT_FAILURE
  }
}

process.exitCode = await main(process.argv.slice(2))
