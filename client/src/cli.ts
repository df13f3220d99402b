// tickets-client: a small command line over the client, for integrators trying the API or
// scripting against it. Platform-neutral: bin/tickets-client passes argv, env and output.
// Exit codes: 0 success, 1 failure (the API or the network said no), 2 usage error.
import { LIST_TICKETS_PARAMETERS, type Ticket } from './api-types.js'
import { ALLOW_INSECURE, clientOptions, parseArgs, single, UsageError, type CliIo, type Parsed } from './cli-args.js'
import { EVENTS_USAGE, runEvents } from './cli-events.js'
import { createTicketsClient } from './client.js'
import { InsecureBaseUrlError, TicketsApiError, TicketsNetworkError } from './errors.js'
import type { ListTicketsParams } from './query.js'

export type { CliIo } from './cli-args.js'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

const FILTER_FLAGS = LIST_TICKETS_PARAMETERS.filter((p) => p.name !== 'sort_by' && p.name !== 'limit' && p.name !== 'offset')

export const USAGE = `Usage: tickets-client <command> [options]

Commands:
  list [--<filter> <value>]... [--sort <field>[:asc|desc]]... [--limit N] [--offset N] [--all] [--json]
      Filters: ${FILTER_FLAGS.map((p) => `--${p.name.replace(/_/g, '-')}`).join(', ')}
      Lists take a,b or a repeated flag; --vin '' lists tickets without a VIN.
      --all walks every page (--page-size N, default 100); with --json it prints one ticket per line.
  get <ticket-id> [--json]
  mark-processed <ticket-id> [--external-reference <text>] [--json]
${EVENTS_USAGE}

Every command also takes --allow-insecure-http.

Environment: TICKETS_API_URL (e.g. http://127.0.0.1:8080), TICKETS_CLIENT_ID, TICKETS_CLIENT_SECRET.
  Plain http is refused for hosts other than localhost, 127.0.0.0/8 and [::1] (the secret would
  travel in clear text) unless TICKETS_ALLOW_INSECURE_HTTP=1 or --allow-insecure-http is given.
Exit codes: 0 success, 1 failure, 2 usage error.`

function exactlyOneId(parsed: Parsed, command: string): string {
  if (parsed.positionals.length !== 1) throw new UsageError(`${command} takes exactly one ticket id`)
  return parsed.positionals[0]!
}

function listParamsOf(parsed: Parsed): ListTicketsParams {
  const params: Record<string, unknown> = {}
  for (const p of FILTER_FLAGS) {
    const values = parsed.flags.get(p.name)
    if (!values) continue
    if (p.list) params[p.name] = values.join(',')
    else if (values.length > 1) throw new UsageError(`--${p.name.replace(/_/g, '-')} may be given once`)
    else if (p.type === 'boolean') {
      if (values[0] !== 'true' && values[0] !== 'false') throw new UsageError(`--${p.name.replace(/_/g, '-')} must be true or false`)
      params[p.name] = values[0] === 'true'
    } else params[p.name] = values[0]
  }
  for (const name of ['limit', 'offset'] as const) {
    const value = single(parsed, name)
    if (value !== undefined) params[name] = value
  }
  const sorts = parsed.flags.get('sort')
  if (sorts)
    params.sort_by = sorts.map((sort) => {
      const [field, direction = 'asc', extra] = sort.split(':')
      if (!field || extra !== undefined) throw new UsageError(`--sort must be <field> or <field>:asc|desc, got ${JSON.stringify(sort)}`)
      return [field, direction]
    })
  // Strings pass through unconverted: the API validates every value and names the bad one.
  return params as ListTicketsParams
}

function row(ticket: Ticket): string {
  return [
    ticket.id,
    String(ticket.ticket_number).padEnd(9),
    ticket.state.padEnd(11),
    ticket.created_at.padEnd(24),
    ticket.externally_processed ? 'processed  ' : 'unprocessed',
    ticket.external_reference,
  ]
    .join('  ')
    .trimEnd()
}

const FILTER_NAMES = new Set<string>(FILTER_FLAGS.map((p) => p.name))

async function run(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, ...args] = argv
  const out = (text: string) => io.stdout(`${text}\n`)
  // Every call takes the stop signal, so that Ctrl-C ends any command, not only `events follow`.
  const call = io.signal ? { signal: io.signal } : {}
  switch (command) {
    case 'list': {
      const parsed = parseArgs(
        args,
        new Set([...FILTER_NAMES, 'limit', 'offset', 'sort', 'page_size']),
        new Set(['json', 'all', ALLOW_INSECURE]),
      )
      if (parsed.positionals.length > 0) throw new UsageError(`list takes no arguments (got ${parsed.positionals[0]})`)
      const params = listParamsOf(parsed)
      const json = parsed.switches.has('json')
      const pageSizeFlag = single(parsed, 'page_size')
      if (pageSizeFlag !== undefined && !parsed.switches.has('all')) throw new UsageError('--page-size goes with --all')
      if (pageSizeFlag !== undefined && !/^\d+$/.test(pageSizeFlag)) throw new UsageError('--page-size must be a number from 1 to 1000')
      const client = createTicketsClient(clientOptions(env, io, parsed))
      if (parsed.switches.has('all')) {
        if (params.limit !== undefined) throw new UsageError('--limit does not go with --all (use --page-size)')
        let count = 0
        const pageSize = pageSizeFlag === undefined ? 100 : Number(pageSizeFlag)
        if (pageSize < 1 || pageSize > 1000) throw new UsageError('--page-size must be a number from 1 to 1000')
        for await (const ticket of client.tickets.iterate(params, { pageSize, ...call })) {
          out(json ? JSON.stringify(ticket) : row(ticket))
          count++
        }
        if (!json) out(`${count} tickets`)
        return EXIT_OK
      }
      const page = await client.tickets.list(params, call)
      if (json) out(JSON.stringify(page, null, 2))
      else {
        for (const ticket of page.result) out(row(ticket))
        out(`${page.result.length} of ${page.total} tickets (offset ${page.query.offset})`)
      }
      return EXIT_OK
    }
    case 'get': {
      const parsed = parseArgs(args, new Set(), new Set(['json', ALLOW_INSECURE]))
      const id = exactlyOneId(parsed, 'get')
      const ticket = await createTicketsClient(clientOptions(env, io, parsed)).tickets.get(id, call)
      out(JSON.stringify(ticket, null, 2))
      return EXIT_OK
    }
    case 'mark-processed': {
      const parsed = parseArgs(args, new Set(['external_reference']), new Set(['json', ALLOW_INSECURE]))
      const id = exactlyOneId(parsed, 'mark-processed')
      const reference = single(parsed, 'external_reference')
      const client = createTicketsClient(clientOptions(env, io, parsed))
      const patch = { externally_processed: true, ...(reference !== undefined ? { external_reference: reference } : {}) }
      const { ticket } = await client.tickets.update(id, patch, call)
      if (parsed.switches.has('json')) out(JSON.stringify(ticket, null, 2))
      else out(`Marked ${ticket.id} processed${ticket.external_reference ? ` (external_reference ${ticket.external_reference})` : ''}`)
      return EXIT_OK
    }
    case 'events':
      return runEvents(args, env, io)
    default:
      throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`)
  }
}

/** Runs one command; never throws. Errors are one line on stderr. */
export async function main(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(`${USAGE}\n`)
    return EXIT_OK
  }
  try {
    return await run(argv, env, io)
  } catch (error) {
    if (error instanceof InsecureBaseUrlError) {
      const host = new URL(error.baseUrl).host
      io.stderr(
        `tickets-client: refusing to send credentials over plain http to ${host}: use an https TICKETS_API_URL, ` +
          'or set TICKETS_ALLOW_INSECURE_HTTP=1 (or pass --allow-insecure-http) if you really mean it\n',
      )
      return EXIT_USAGE
    }
    if (io.signal?.aborted && error === io.signal.reason) {
      io.stderr('tickets-client: interrupted\n')
      return EXIT_FAILURE
    }
    if (error instanceof UsageError) {
      io.stderr(`tickets-client: ${error.message}\n${argv.length === 0 ? `${USAGE}\n` : ''}`)
      return EXIT_USAGE
    }
    const message =
      error instanceof TicketsApiError || error instanceof TicketsNetworkError || error instanceof Error ? error.message : String(error)
    io.stderr(`tickets-client: ${message.replace(/\s*\n\s*/g, ' ')}\n`)
    return EXIT_FAILURE
  }
}
