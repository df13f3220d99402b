// The `tickets` command line: dispatch to one module per command, map failures to one line
// on stderr and the exit codes 0 (success), 1 (failure), 2 (usage).
import { ConfigError } from '../config.js'
import { describeStartupError, StartupError } from './startup-errors.js'
import { EXIT_FAILURE, EXIT_USAGE, USAGE, UsageError } from './usage.js'

type Command = (args: string[]) => Promise<number>

// Loaded on demand: a command pays only for the modules it uses (the HTTP stack and the
// embedded database are large), which keeps `tickets clients list` and friends quick.
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.js')).serveCommand,
  migrate: async () => (await import('./migrate.js')).migrateCommand,
  clients: async () => (await import('./clients.js')).clientsCommand,
  keys: async () => (await import('./keys.js')).keysCommand,
  partners: async () => (await import('./partners.js')).partnersCommand,
  'cancel-reasons': async () => (await import('./cancel-reasons.js')).cancelReasonsCommand,
  webhooks: async () => (await import('./webhooks.js')).webhooksCommand,
  import: async () => (await import('./import-export.js')).importCommand,
  export: async () => (await import('./import-export.js')).exportCommand,
  openapi: async () => (await import('./info.js')).openapiCommand,
  config: async () => (await import('./info.js')).configCommand,
  simulate: async () => (await import('./simulate.js')).simulateCommand,
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return name === undefined ? EXIT_USAGE : 0
  }
  const load = COMMANDS[name]
  if (!load) {
    process.stderr.write(`tickets: unknown command "${name}" (see tickets --help)\n`)
    return EXIT_USAGE
  }
  try {
    return await (
      await load()
    )(args)
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
