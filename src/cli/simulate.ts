// tickets simulate: a live demo against a running server. Without --client-id it makes (once,
// through the store, like the demo seed) two tickets:manage clients of two partnered providers,
// the demo provider and a partner, and keeps them beside the demo credentials; then it plays
// the platform through the HTTP API (src/simulate) and prints a line every two seconds.
import { randomUUID } from 'node:crypto'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createApiClient } from '../auth/clients.js'
import { loadConfig, type Config } from '../config.js'
import type { Scope } from '../contract/oauth.js'
import { formatReport, runSimulation, type SimulationCredentials } from '../simulate/index.js'
import type { ClientStore } from '../store/client-store.js'
import type { PartnershipStore } from '../store/lifecycle-reads.js'
import { readCredentials } from './demo.js'
import { openConfiguredStore } from './open.js'
import { parseCommandArgs, UsageError } from './usage.js'

const SCOPES: Scope[] = ['tickets:read', 'tickets:write', 'tickets:manage']

interface SavedClient {
  provider_id: string
  client_id: string
  client_secret: string
}

export interface SimulationClients {
  credentials: SimulationCredentials[]
  providers: string[]
  /** True when the clients were made now (false: reused from the data directory). */
  created: boolean
}

const savedFile = (config: Readonly<Config>) => join(config.dataDir, 'simulate-credentials.json')

function readSaved(config: Readonly<Config>): SavedClient[] {
  try {
    const saved = JSON.parse(readFileSync(savedFile(config), 'utf8')) as unknown
    return Array.isArray(saved) ? (saved as SavedClient[]) : []
  } catch {
    return []
  }
}

/**
 * How many clients each provider needs so that `rate` operations a second stay under the
 * server's per-client rate limit (TICKETS_RATE_LIMIT a minute), with room for the reads
 * that check outsources: a platform runs several systems, each its own client.
 */
export function clientsPerProvider(rate: number, rateLimitPerMinute: number): number {
  if (rateLimitPerMinute <= 0) return 1
  return Math.max(1, Math.ceil((rate * 60 * 1.25) / rateLimitPerMinute))
}

/**
 * `perProvider` clients (tickets:read, write and manage) of each of two partnered providers:
 * the demo provider when there is one, and a partner. Kept (mode 0600) in the data directory
 * of an embedded store and reused while none is revoked (more are added when a higher rate
 * needs them); the partnership is made sure of every time.
 */
export async function ensureSimulationClients(
  store: ClientStore & PartnershipStore,
  config: Readonly<Config>,
  perProvider = 1,
): Promise<SimulationClients> {
  const live = new Set((await store.listClients()).filter((c) => c.revokedAt === null).map((c) => c.clientId))
  let saved = readSaved(config).filter((c) => live.has(c.client_id))
  const savedProviders = [...new Set(saved.map((c) => c.provider_id))]
  let created = false
  if (savedProviders.length !== 2) {
    saved = []
    savedProviders.splice(0, savedProviders.length, readCredentials(config)?.provider_id ?? randomUUID(), randomUUID())
  }
  for (const [index, providerId] of savedProviders.entries()) {
    const name = index === 0 ? 'simulate' : 'simulate partner'
    for (let have = saved.filter((c) => c.provider_id === providerId).length; have < perProvider; have++) {
      const { client, secret } = await createApiClient(store, { providerId, name, scopes: SCOPES })
      saved.push({ provider_id: providerId, client_id: client.clientId, client_secret: secret })
      created = true
    }
  }
  if (created && !config.databaseUrl) {
    writeFileSync(savedFile(config), JSON.stringify(saved, null, 2), { mode: 0o600 })
    chmodSync(savedFile(config), 0o600)
  }
  await store.addPartnership(savedProviders[0]!, savedProviders[1]!)
  // The first provider's clients first: the simulator's side 0 is the first client's provider.
  const ordered = [...saved].sort((a, b) => savedProviders.indexOf(a.provider_id) - savedProviders.indexOf(b.provider_id))
  return {
    credentials: ordered.map((c) => ({ clientId: c.client_id, clientSecret: c.client_secret })),
    providers: savedProviders,
    created,
  }
}

/** `20`, `20/s` or `2.5/s`: operations per second. */
export function parseRate(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(raw.trim())
  const rate = match ? Number(match[1]) : NaN
  if (!(rate > 0) || rate > 10_000) throw new UsageError(`--rate must be operations per second, like 20 or 20/s (got "${raw}")`)
  return rate
}

/** `30s`, `5m`, `1h`, `500ms` or plain seconds: milliseconds. */
export function parseDuration(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim())
  if (!match) throw new UsageError(`--duration must be like 30s, 5m or 1h (got "${raw}")`)
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
  const ms = Number(match[1]) * unit
  if (!(ms > 0)) throw new UsageError('--duration must be positive')
  return ms
}

function localUrl(config: Readonly<Config>): string {
  const host = config.host === '0.0.0.0' || config.host === '::' || config.host === '' ? '127.0.0.1' : config.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`
}

export async function simulateCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    rate: { type: 'string' },
    duration: { type: 'string' },
    url: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'partner-client-id': { type: 'string' },
    'partner-client-secret': { type: 'string' },
    'allow-insecure-http': { type: 'boolean' },
  })
  const rate = values.rate !== undefined ? parseRate(values.rate) : 20
  const durationMs = values.duration !== undefined ? parseDuration(values.duration) : undefined
  const config = loadConfig()
  const baseUrl = values.url ?? localUrl(config)

  let credentials: SimulationCredentials[]
  if (values['client-id'] !== undefined || values['client-secret'] !== undefined) {
    if (!values['client-id'] || !values['client-secret']) throw new UsageError('--client-id and --client-secret go together')
    credentials = [{ clientId: values['client-id'], clientSecret: values['client-secret'] }]
    if (values['partner-client-id'] || values['partner-client-secret']) {
      if (!values['partner-client-id'] || !values['partner-client-secret'])
        throw new UsageError('--partner-client-id and --partner-client-secret go together')
      credentials.push({ clientId: values['partner-client-id'], clientSecret: values['partner-client-secret'] })
    }
  } else {
    const store = await openConfiguredStore(config, 'tickets simulate')
    try {
      const clients = await ensureSimulationClients(store, config, clientsPerProvider(rate, config.rateLimit))
      credentials = clients.credentials
      process.stdout.write(
        `${clients.created ? 'Created' : 'Using'} ${clients.credentials.length} simulation clients of providers ` +
          `${clients.providers.join(' and ')} (partners).\n`,
      )
    } finally {
      await store.close()
    }
  }

  const stop = new AbortController()
  const onSignal = () => {
    process.stdout.write('Stopping: letting the operations in flight finish (Ctrl-C again quits at once)…\n')
    stop.abort()
    process.once('SIGINT', () => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  const lasting = durationMs !== undefined ? `for ${values.duration}` : 'until Ctrl-C'
  process.stdout.write(`Simulating on ${baseUrl} at ${rate} operations/s ${lasting}.\n`)
  try {
    const result = await runSimulation({
      baseUrl,
      credentials,
      rate,
      ...(durationMs !== undefined ? { durationMs } : {}),
      signal: stop.signal,
      allowInsecureHttp: values['allow-insecure-http'] === true || process.env.TICKETS_ALLOW_INSECURE_HTTP === '1',
      onReport: (report) => process.stdout.write(`${formatReport(report)}\n`),
      onError: (line) => process.stderr.write(`tickets simulate: ${line}\n`),
    })
    const perSecond = result.durationMs > 0 ? (result.ops * 1000) / result.durationMs : 0
    const actions = Object.entries(result.byAction)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ')
    process.stdout.write(
      `Done: ${result.ops} operations in ${(result.durationMs / 1000).toFixed(1)}s (${perSecond.toFixed(1)}/s, ${result.requests} requests): ` +
        `${actions}; errors ${result.errors}.\n`,
    )
    return result.errors > 0 ? 1 : 0
  } finally {
    process.removeListener('SIGINT', onSignal)
  }
}
