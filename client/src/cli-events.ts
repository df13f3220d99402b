// `tickets-client events list|follow`: the provider's events feed from a shell. `list` prints
// one page (or, with --all, every page until caught up); `follow` prints events as they are
// committed until interrupted, riding out restarts, and says on stderr when it is waiting one out.
import type { FeedEvent } from './api-types.js'
import { ALLOW_INSECURE, clientOptions, parseArgs, single, UsageError, type CliIo, type Parsed } from './cli-args.js'
import { createTicketsClient } from './client.js'
import type { EventsQuery, EventTypeFilter } from './events-query.js'
import type { FollowRetry } from './follow.js'

export const EVENTS_USAGE = `  events list [--type <type>]... [--ticket-id <id>] [--occurred-after <time>] [--after-id <id>] [--limit N] [--all] [--json]
      One page of the events feed, oldest first (--limit, default 25): it is not every event.
      --all reads every page until caught up (--page-size N, default 1000), one line per event.
      --type takes exact types or prefix forms such as tickets.ticket.* (a,b or a repeated flag).
  events follow [--type <type>]... [--ticket-id <id>] [--occurred-after <time>] [--after-id <id>] [--wait S] [--json]
      Prints events as they are committed, until interrupted (Ctrl-C); survives server restarts.
      --json prints one JSON event per line; pass the last id as --after-id to resume later.`

const FILTERS = ['type', 'ticket_id', 'occurred_after', 'after_id'] as const

function queryOf(parsed: Parsed): EventsQuery {
  const types = parsed.flags.get('type')?.flatMap((value) => value.split(','))
  const query: EventsQuery = {}
  // Strings pass through unchecked: the API validates every value and names the bad one.
  if (types) query.type = types as EventTypeFilter[]
  const ticketId = single(parsed, 'ticket_id')
  if (ticketId !== undefined) query.ticket_id = ticketId
  const occurredAfter = single(parsed, 'occurred_after')
  if (occurredAfter !== undefined) query.occurred_after = occurredAfter
  const afterId = single(parsed, 'after_id')
  if (afterId !== undefined) query.after_id = afterId
  return query
}

function integerFlag(parsed: Parsed, name: string, min: number, max: number): number | undefined {
  const value = single(parsed, name)
  if (value === undefined) return undefined
  const flag = `--${name.replace(/_/g, '-')}`
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new UsageError(`${flag} must be a number from ${min} to ${max}`)
  return Number(value)
}

function row(event: FeedEvent): string {
  const subject = 'ticket' in event.payload ? `ticket ${event.payload.ticket.id} (${event.payload.ticket.state})` : ''
  return [event.id, event.occurred_at.padEnd(24), event.type.padEnd(26), subject].join('  ').trimEnd()
}

type Out = (text: string) => void
const printer = (out: Out, json: boolean) => (event: FeedEvent) => out(json ? JSON.stringify(event) : row(event))

async function listEvents(args: string[], env: Record<string, string | undefined>, io: CliIo, out: Out): Promise<number> {
  const parsed = parseArgs(args, new Set([...FILTERS, 'limit', 'page_size']), new Set(['json', 'all', ALLOW_INSECURE]))
  if (parsed.positionals.length > 0) throw new UsageError(`events list takes no arguments (got ${parsed.positionals[0]})`)
  const query = queryOf(parsed)
  const json = parsed.switches.has('json')
  const limit = integerFlag(parsed, 'limit', 0, 1000)
  const pageSize = integerFlag(parsed, 'page_size', 1, 1000)
  const all = parsed.switches.has('all')
  if (pageSize !== undefined && !all) throw new UsageError('--page-size goes with --all')
  if (limit !== undefined && all) throw new UsageError('--limit does not go with --all (use --page-size)')
  const client = createTicketsClient(clientOptions(env, io, parsed))
  if (all) {
    let count = 0
    const options = { pageSize: pageSize ?? 1000, ...(io.signal ? { signal: io.signal } : {}) }
    for await (const event of client.events.iterate(query, options)) {
      printer(out, json)(event)
      count++
    }
    if (!json) out(`${count} events`)
    return 0
  }
  const page = await client.events.list({ ...query, ...(limit !== undefined ? { limit } : {}) })
  if (json) out(JSON.stringify({ query: page.query, result: page.result }, null, 2))
  else {
    page.result.forEach(printer(out, false))
    const more = page.mayHaveMore ? `; more follow: --after-id ${page.nextAfterId} (or --all)` : ''
    out(`${page.result.length} events${more}`)
  }
  return 0
}

async function followEvents(args: string[], env: Record<string, string | undefined>, io: CliIo, out: Out): Promise<number> {
  const parsed = parseArgs(args, new Set([...FILTERS, 'wait']), new Set(['json', ALLOW_INSECURE]))
  if (parsed.positionals.length > 0) throw new UsageError(`events follow takes no arguments (got ${parsed.positionals[0]})`)
  const query = queryOf(parsed)
  const waitSeconds = integerFlag(parsed, 'wait', 1, 30)
  const client = createTicketsClient(clientOptions(env, io, parsed))
  // Following goes on; the note says why nothing arrives for a while.
  const onRetry = ({ error, delayMs }: FollowRetry) =>
    io.stderr(`tickets-client: ${error.message.replace(/\s*\n\s*/g, ' ')}; trying again in ${(delayMs / 1000).toFixed(1)} s\n`)
  const options = { onRetry, ...(waitSeconds !== undefined ? { waitSeconds } : {}), ...(io.signal ? { signal: io.signal } : {}) }
  const print = printer(out, parsed.switches.has('json'))
  for await (const event of client.events.follow(query, options)) print(event)
  return 0
}

export async function runEvents(args: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, ...rest] = args
  const out = (text: string) => io.stdout(`${text}\n`)
  if (command === 'list') return listEvents(rest, env, io, out)
  if (command === 'follow') return followEvents(rest, env, io, out)
  throw new UsageError(command === undefined ? 'events needs list or follow' : `unknown events command "${command}" (list or follow)`)
}
