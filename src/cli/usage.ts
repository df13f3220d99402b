// Exit codes and the usage error shared by every command: 0 success, 1 failure, 2 usage.
import { parseArgs, type ParseArgsConfig } from 'node:util'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export class UsageError extends Error {
  override name = 'UsageError'
}

export const USAGE = `Usage: tickets <command> [options]

Commands:
  serve [--port N] [--host H]        run the API (embedded store unless TICKETS_DATABASE_URL is set)
  migrate                            apply pending database migrations
  clients create --provider <uuid> --name <text> [--scope S]... [--json]
                                     --scope is repeatable: tickets:read, tickets:write (both by default: a
                                     partner's system), tickets:manage (the platform's own systems: create
                                     tickets, run the lifecycle actions, PATCH the descriptive fields),
                                     webhooks:manage (the provider's webhook endpoints)
  clients list [--json]
  clients revoke <client_id>
  keys rotate [--retire-previous-now] [--json]   new token signing key; the previous one verifies until its tokens expire
  keys list [--json]                 signing keys: kid, created_at, state (never the secret)
  partners add <provider-uuid> <provider-uuid>      let two providers outsource tickets to each other
  partners list [--provider <uuid>] [--json]
  partners remove <provider-uuid> <provider-uuid>   no new outsources between them (running ones go on)
  cancel-reasons list [--json]       the catalogue tickets name as cancel_reason_id
  cancel-reasons add --name <text> [--reopenable] [--customer-fault] [--not-manual] [--id N] [--json]
  webhooks create --provider <uuid> --url <url> --event-type <type>... [--description <text>] [--json]
                                     --event-type is repeatable: a type, or a prefix as tickets.ticket.*
  webhooks list|show <id>|delete <id>|rotate-secret <id> --provider <uuid> [--json]
  webhooks update <id> --provider <uuid> [--url U] [--event-type T]... [--description D] [--disable|--enable]
  webhooks test <id> --provider <uuid>           send a webhook.test event now; exit 1 unless it got a 2xx
  webhooks deliveries <id> --provider <uuid> [--limit N] [--event-id ID]   the delivery log, newest first
  webhooks recover <id> --provider <uuid> --since <date-time>   deliver again every event since then, in order
  import <file.ndjson|-> [--provider <uuid>]   all-or-nothing upsert of tickets by id
  export [--provider <uuid>]         NDJSON on stdout that import reads back
  openapi                            print the OpenAPI document /openapi.json serves
  config [--json]                    print the effective configuration (secrets redacted)
  simulate [--rate 20/s] [--duration 30s|5m] [--url U --client-id ID --client-secret S]
                                     a live demo against the running server: tickets created, joined, closed, outsourced…

Configuration comes from the environment; see \`tickets config\`.`

/** node:util parseArgs, with its errors turned into usage errors. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}
