// loadConfig(env): every setting, its env var, default and reason, in one table. All problems
// are reported at once; the result is frozen. Env names are TICKETS_ + the key in upper snake
// case, except PORT and HOST, the names every platform already sets.
export interface Config {
  databaseUrl: string | undefined
  dataDir: string
  port: number
  host: string
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  signingSecret: string | undefined
  keyEncryptionKey: Buffer | undefined
  poolSize: number
  statementTimeoutMs: number
  trustProxy: boolean
  demo: 'auto' | 'always' | 'never'
  rateLimit: number
  tokenRateLimitPerClient: number
  tokenRateLimitPerAddress: number
  clientConcurrency: number
  redisUrl: string | undefined
  requestTimeoutMs: number
  headersTimeoutMs: number
  keepAliveTimeoutMs: number
  maxConnections: number
  shutdownTimeoutMs: number
  metricsPort: number | undefined
  eventRetentionDays: number
  webhooksAllowPrivate: boolean
  streamMaxSeconds: number
  streamHeartbeatSeconds: number
  streamsPerClient: number
}

type Key = keyof Config

interface Setting<K extends Key> {
  env: string
  why: string
  /** How to show the value without revealing a secret; absent for harmless settings. */
  redact?: (value: string) => string
  parse(raw: string | undefined): Config[K]
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '))
    this.name = 'ConfigError'
  }
}

class Invalid extends Error {}

const integer = (min: number, max: number, fallback: number) => (raw: string | undefined) => {
  if (raw === undefined || raw === '') return fallback
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new Invalid(`must be an integer from ${min} to ${max}`)
  return Number(raw)
}

const oneOf =
  <T extends string>(values: readonly T[], fallback: T) =>
  (raw: string | undefined): T => {
    if (raw === undefined || raw === '') return fallback
    if (!(values as readonly string[]).includes(raw)) throw new Invalid(`must be one of ${values.join(', ')}`)
    return raw as T
  }

const SETTINGS: { [K in Key]: Setting<K> } = {
  databaseUrl: {
    env: 'TICKETS_DATABASE_URL',
    why: 'Unset: the embedded store, so that `npm start` needs nothing installed. Set: PostgreSQL 15+.',
    redact: redactUrl,
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined
      if (!/^postgres(ql)?:\/\//.test(raw)) throw new Invalid('must be a postgres:// or postgresql:// URL')
      return raw
    },
  },
  dataDir: {
    env: 'TICKETS_DATA_DIR',
    why: 'Where the embedded store keeps its files; ./data keeps a checkout self-contained.',
    parse: (raw) => (raw === undefined || raw === '' ? './data' : raw),
  },
  port: { env: 'PORT', why: '8080: the conventional unprivileged HTTP port.', parse: integer(0, 65535, 8080) },
  host: {
    env: 'HOST',
    why: '127.0.0.1: nothing is exposed to the network until you decide so (use 0.0.0.0 in a container).',
    parse: (raw) => (raw === undefined || raw === '' ? '127.0.0.1' : raw),
  },
  logLevel: {
    env: 'TICKETS_LOG_LEVEL',
    why: 'info logs one line per request and every 4xx reason; debug adds framework detail.',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  },
  signingSecret: {
    env: 'TICKETS_SIGNING_SECRET',
    why: 'Unset: random keys kept in the store, shared by every process on it (tickets keys rotate). Set: pins this one key instead.',
    redact: () => '***',
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined
      if (raw.length < 32) throw new Invalid('must be at least 32 characters')
      return raw
    },
  },
  keyEncryptionKey: {
    env: 'TICKETS_KEY_ENCRYPTION_KEY',
    why: 'Unset: token signing keys and webhook secrets are stored as plaintext. Set (32 random bytes, base64 or hex): new ones are stored AES-256-GCM encrypted.',
    redact: () => '***',
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined
      const key = /^[0-9a-fA-F]{64}$/.test(raw)
        ? Buffer.from(raw, 'hex')
        : /^[A-Za-z0-9+/_-]{43}=?$/.test(raw)
          ? Buffer.from(raw, 'base64')
          : undefined
      if (key?.length !== 32) throw new Invalid('must be 32 bytes in base64 or hex (e.g. openssl rand -base64 32)')
      return key
    },
  },
  poolSize: {
    env: 'TICKETS_POOL_SIZE',
    why: '10 PostgreSQL connections: enough to keep 2 cores busy, far below max_connections.',
    parse: integer(1, 200, 10),
  },
  statementTimeoutMs: {
    env: 'TICKETS_STATEMENT_TIMEOUT_MS',
    why: '10 s: a runaway query becomes a 503 query-timeout instead of holding a connection forever. The embedded store cannot cancel a statement: there it bounds the wait for its one session (503 store-unavailable).',
    parse: integer(0, 3_600_000, 10_000),
  },
  trustProxy: {
    env: 'TICKETS_TRUST_PROXY',
    why: 'false: only trust X-Forwarded-* when a proxy you run sets them.',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'false') return false
      if (raw === 'true') return true
      throw new Invalid('must be true or false')
    },
  },
  demo: {
    env: 'TICKETS_DEMO',
    why: 'auto: seed a demo client and tickets on an empty embedded store only, never on PostgreSQL.',
    parse: oneOf(['auto', 'always', 'never'] as const, 'auto'),
  },
  rateLimit: {
    env: 'TICKETS_RATE_LIMIT',
    why: '3000 /v2 requests a minute per API client (0: off): a partner polling every few seconds and walking pages back to back stays far below it.',
    parse: integer(0, 10_000_000, 3000),
  },
  tokenRateLimitPerClient: {
    env: 'TICKETS_TOKEN_RATE_LIMIT_PER_CLIENT',
    why: '60 token requests a minute per client id (0: off): a token lasts an hour, so only guessing needs more.',
    parse: integer(0, 10_000_000, 60),
  },
  tokenRateLimitPerAddress: {
    env: 'TICKETS_TOKEN_RATE_LIMIT_PER_ADDRESS',
    why: '600 token requests a minute per source address (0: off): room for many clients behind one NAT, not for a flood.',
    parse: integer(0, 10_000_000, 600),
  },
  clientConcurrency: {
    env: 'TICKETS_CLIENT_CONCURRENCY',
    why: '4 /v2 requests at once per API client (0: off), more wait their turn: one partner cannot take every database connection.',
    parse: integer(0, 1000, 4),
  },
  redisUrl: {
    env: 'TICKETS_REDIS_URL',
    why: 'Unset: rate limits are counted per process. Set (redis://…): counted once across every process that shares it.',
    redact: redactUrl,
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined
      if (!/^rediss?:\/\//.test(raw)) throw new Invalid('must be a redis:// or rediss:// URL')
      return raw
    },
  },
  requestTimeoutMs: {
    env: 'TICKETS_REQUEST_TIMEOUT_MS',
    why: '30 s to receive a whole request: a client sending its body byte by byte cannot hold a socket for long.',
    parse: integer(1000, 3_600_000, 30_000),
  },
  headersTimeoutMs: {
    env: 'TICKETS_HEADERS_TIMEOUT_MS',
    why: '10 s to receive the headers (slowloris defence); a real client sends them in one packet.',
    parse: integer(1000, 3_600_000, 10_000),
  },
  keepAliveTimeoutMs: {
    env: 'TICKETS_KEEP_ALIVE_TIMEOUT_MS',
    why: '65 s idle before a kept-alive connection closes: longer than common load balancers’ 60 s, so they close first.',
    parse: integer(1000, 3_600_000, 65_000),
  },
  maxConnections: {
    env: 'TICKETS_MAX_CONNECTIONS',
    why: '4096 open connections at most; beyond that new ones are dropped at once instead of exhausting memory and file descriptors.',
    parse: integer(1, 1_000_000, 4096),
  },
  shutdownTimeoutMs: {
    env: 'TICKETS_SHUTDOWN_TIMEOUT_MS',
    why: '25 s for requests in flight to finish on SIGTERM, inside the 30 s most orchestrators wait before SIGKILL.',
    parse: integer(0, 3_600_000, 25_000),
  },
  metricsPort: {
    env: 'TICKETS_METRICS_PORT',
    why: 'Unset: no metrics listener. Set: Prometheus text at /metrics on this port, apart from the API so it is never exposed with it.',
    parse: (raw) => (raw === undefined || raw === '' ? undefined : integer(0, 65535, 0)(raw)),
  },
  eventRetentionDays: {
    env: 'TICKETS_EVENT_RETENTION_DAYS',
    why: '30 days of events in the feed: a consumer away for weeks still resumes from its last id; one away longer gets 410 events-expired and resynchronises from the ticket lists. Purged hourly.',
    parse: integer(1, 36_500, 30),
  },
  webhooksAllowPrivate: {
    env: 'TICKETS_WEBHOOKS_ALLOW_PRIVATE',
    why: 'false: webhooks go only to https URLs on public addresses, so no one can aim the server at its own network. true: private, loopback and plain http targets too (local receivers, the demo, tests).',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'false') return false
      if (raw === 'true') return true
      throw new Invalid('must be true or false')
    },
  },
  streamMaxSeconds: {
    env: 'TICKETS_STREAM_MAX_SECONDS',
    why: '300: a live stream (SSE) ends after 80–100 % of this and the client resumes with Last-Event-ID, so deploys and proxies that drop connections silently never strand a partner for long.',
    parse: integer(5, 86_400, 300),
  },
  streamHeartbeatSeconds: {
    env: 'TICKETS_STREAM_HEARTBEAT_SECONDS',
    why: '15: a `: keep-alive` comment this often keeps live streams open through proxies that close connections idle for 30–60 s.',
    parse: integer(1, 300, 15),
  },
  streamsPerClient: {
    env: 'TICKETS_STREAMS_PER_CLIENT',
    why: '10 live streams (SSE and websocket together) per API client (0: unlimited): a consumer needs one; more is a leak or a reconnect loop.',
    parse: integer(0, 100_000, 10),
  },
}

// Read by the test suite and by the client package's CLI (tickets-client), not by the service:
// accepted, so that one shell may hold both the server's and an integrator's settings.
const IGNORED_KEYS = new Set([
  'TICKETS_TEST_DATABASE_URL',
  'TICKETS_TEST_REDIS_URL',
  'TICKETS_API_URL',
  'TICKETS_CLIENT_ID',
  'TICKETS_CLIENT_SECRET',
])

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const problems: string[] = []
  const config: Partial<Record<Key, unknown>> = {}
  for (const key of Object.keys(SETTINGS) as Key[]) {
    const setting = SETTINGS[key]
    try {
      config[key] = setting.parse(env[setting.env])
    } catch (error) {
      if (!(error instanceof Invalid)) throw error
      problems.push(`${setting.env} ${error.message}`)
    }
  }
  const known = new Set(Object.values(SETTINGS).map((s) => s.env))
  for (const name of Object.keys(env))
    if (name.startsWith('TICKETS_') && !known.has(name) && !IGNORED_KEYS.has(name))
      problems.push(`${name} is not a setting (known: ${[...known].filter((k) => k.startsWith('TICKETS_')).join(', ')})`)
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(config as Config)
}

/** The effective configuration for display, secrets redacted. */
export function describeConfig(config: Readonly<Config>): Array<{ key: string; env: string; value: string; why: string }> {
  return (Object.keys(SETTINGS) as Key[]).map((key) => {
    const setting = SETTINGS[key] as Setting<Key>
    const value = config[key]
    const shown = value === undefined ? '(unset)' : setting.redact ? setting.redact(String(value)) : String(value)
    return { key, env: setting.env, value: shown, why: setting.why }
  })
}

// Connection parameters that may carry a secret or the path to one (libpq's and node-postgres'
// names); any parameter whose name mentions a password, secret, key or token is hidden too.
const SENSITIVE_PARAMETERS = new Set(['password', 'sslpassword', 'sslkey', 'sslcert', 'sslrootcert', 'sslcrl', 'passfile', 'user'])
const SENSITIVE_NAME = /pass|secret|key|token|cred/i

/** Keeps a URL's host and database visible (what people need to check), hides the credentials. */
function redactUrl(value: string): string {
  try {
    const url = new URL(value)
    if (url.username || url.password) {
      url.username = '***'
      url.password = ''
    }
    // Query parameters are credentials too: postgres://db/tickets?password=… is a valid URL.
    const sensitive = (name: string) => SENSITIVE_PARAMETERS.has(name.toLowerCase()) || SENSITIVE_NAME.test(name)
    const parameters = [...url.searchParams]
    if (parameters.some(([name]) => sensitive(name)))
      url.search = new URLSearchParams(parameters.map(([name, v]): [string, string] => [name, sensitive(name) ? '***' : v])).toString()
    return url.toString()
  } catch {
    return '***'
  }
}
