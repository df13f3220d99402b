// The command line's shared parts: flag parsing (`--name value`, `--name=value`, switches), the
// usage error that exits 2, and the client options read from the environment.
import type { TicketsClientOptions } from './client.js'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Passed to the client (tests point it at a counting or failing fetch). */
  fetch?: typeof fetch
  /** Stops a command that runs until told (`events follow`): the bin aborts it on SIGINT/SIGTERM. */
  signal?: AbortSignal
}

export class UsageError extends Error {}

export interface Parsed {
  positionals: string[]
  flags: Map<string, string[]>
  switches: Set<string>
}

/** `--name value`, `--name=value` and bare `--switch` (for names in `switches`). */
export function parseArgs(args: string[], valued: ReadonlySet<string>, switches: ReadonlySet<string>): Parsed {
  const parsed: Parsed = { positionals: [], flags: new Map(), switches: new Set() }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('--')) {
      parsed.positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).replace(/-/g, '_')
    if (switches.has(name)) {
      if (eq !== -1) throw new UsageError(`--${name.replace(/_/g, '-')} takes no value`)
      parsed.switches.add(name)
    } else if (valued.has(name)) {
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1)
      if (value === undefined) throw new UsageError(`--${name.replace(/_/g, '-')} needs a value`)
      parsed.flags.set(name, [...(parsed.flags.get(name) ?? []), value])
    } else {
      throw new UsageError(`unknown option ${arg.slice(0, eq === -1 ? undefined : eq)}`)
    }
  }
  return parsed
}

export function single(parsed: Parsed, name: string): string | undefined {
  const values = parsed.flags.get(name)
  if (values && values.length > 1) throw new UsageError(`--${name.replace(/_/g, '-')} may be given once`)
  return values?.[0]
}

export const ALLOW_INSECURE = 'allow_insecure_http'

export function clientOptions(env: Record<string, string | undefined>, io: CliIo, parsed: Parsed): TicketsClientOptions {
  const names = ['TICKETS_API_URL', 'TICKETS_CLIENT_ID', 'TICKETS_CLIENT_SECRET'] as const
  const missing = names.filter((name) => !env[name])
  if (missing.length > 0) throw new UsageError(`set ${missing.join(', ')} (see --help)`)
  if (!/^https?:\/\/[^/]/.test(env.TICKETS_API_URL!))
    throw new UsageError(`TICKETS_API_URL must be an http(s) URL such as http://127.0.0.1:8080, got ${JSON.stringify(env.TICKETS_API_URL)}`)
  const insecure = env.TICKETS_ALLOW_INSECURE_HTTP
  if (insecure !== undefined && insecure !== '' && insecure !== '0' && insecure !== '1' && insecure !== 'true' && insecure !== 'false')
    throw new UsageError(`TICKETS_ALLOW_INSECURE_HTTP must be 1 or 0, got ${JSON.stringify(insecure)}`)
  return {
    allowInsecureHttp: parsed.switches.has(ALLOW_INSECURE) || insecure === '1' || insecure === 'true',
    baseUrl: env.TICKETS_API_URL!,
    clientId: env.TICKETS_CLIENT_ID!,
    clientSecret: env.TICKETS_CLIENT_SECRET!,
    userAgent: 'tickets-client (cli)',
    ...(io.fetch ? { fetch: io.fetch } : {}),
  }
}
