// loadConfig: defaults, every variable, every problem at once, typos caught; describeConfig
// shows the effective settings without their secrets.
import { describe, expect, it } from 'vitest'
import { ConfigError, describeConfig, loadConfig, type Config } from '../../src/config.js'

const DEFAULTS: Config = {
  databaseUrl: undefined,
  dataDir: './data',
  port: 8080,
  host: '127.0.0.1',
  logLevel: 'info',
  signingSecret: undefined,
  keyEncryptionKey: undefined,
  poolSize: 10,
  statementTimeoutMs: 10_000,
  trustProxy: false,
  demo: 'auto',
  rateLimit: 3000,
  tokenRateLimitPerClient: 60,
  tokenRateLimitPerAddress: 600,
  clientConcurrency: 4,
  redisUrl: undefined,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 4096,
  shutdownTimeoutMs: 25_000,
  metricsPort: undefined,
  eventRetentionDays: 30,
  webhooksAllowPrivate: false,
  streamMaxSeconds: 300,
  streamHeartbeatSeconds: 15,
  streamsPerClient: 10,
}

const SECRET = 'k'.repeat(16) + 'signing-secret-0123'
const KEK = Buffer.from('0123456789abcdef0123456789abcdef')

/** The problems loadConfig reports for `env` (fails the test if it accepts it). */
function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe((error as ConfigError).problems.join('; '))
    return (error as ConfigError).problems
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`)
}

describe('loadConfig', () => {
  it('uses the defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual(DEFAULTS)
  })

  it('treats empty values as unset', () => {
    const names = [
      'TICKETS_DATABASE_URL',
      'TICKETS_DATA_DIR',
      'PORT',
      'HOST',
      'TICKETS_LOG_LEVEL',
      'TICKETS_SIGNING_SECRET',
      'TICKETS_KEY_ENCRYPTION_KEY',
      'TICKETS_POOL_SIZE',
      'TICKETS_STATEMENT_TIMEOUT_MS',
      'TICKETS_TRUST_PROXY',
      'TICKETS_DEMO',
      'TICKETS_RATE_LIMIT',
      'TICKETS_TOKEN_RATE_LIMIT_PER_CLIENT',
      'TICKETS_TOKEN_RATE_LIMIT_PER_ADDRESS',
      'TICKETS_CLIENT_CONCURRENCY',
      'TICKETS_REDIS_URL',
      'TICKETS_REQUEST_TIMEOUT_MS',
      'TICKETS_HEADERS_TIMEOUT_MS',
      'TICKETS_KEEP_ALIVE_TIMEOUT_MS',
      'TICKETS_MAX_CONNECTIONS',
      'TICKETS_SHUTDOWN_TIMEOUT_MS',
      'TICKETS_METRICS_PORT',
      'TICKETS_EVENT_RETENTION_DAYS',
      'TICKETS_WEBHOOKS_ALLOW_PRIVATE',
      'TICKETS_STREAM_MAX_SECONDS',
      'TICKETS_STREAM_HEARTBEAT_SECONDS',
      'TICKETS_STREAMS_PER_CLIENT',
    ]
    expect(loadConfig(Object.fromEntries(names.map((name) => [name, ''])))).toEqual(DEFAULTS)
  })

  it('reads every variable', () => {
    const config = loadConfig({
      TICKETS_DATABASE_URL: 'postgres://tickets:pw@db.example:5432/tickets',
      TICKETS_DATA_DIR: '/var/lib/tickets',
      PORT: '0',
      HOST: '0.0.0.0',
      TICKETS_LOG_LEVEL: 'debug',
      TICKETS_SIGNING_SECRET: SECRET,
      TICKETS_KEY_ENCRYPTION_KEY: KEK.toString('base64'),
      TICKETS_POOL_SIZE: '200',
      TICKETS_STATEMENT_TIMEOUT_MS: '0',
      TICKETS_TRUST_PROXY: 'true',
      TICKETS_DEMO: 'never',
      TICKETS_RATE_LIMIT: '0',
      TICKETS_TOKEN_RATE_LIMIT_PER_CLIENT: '10',
      TICKETS_TOKEN_RATE_LIMIT_PER_ADDRESS: '20',
      TICKETS_CLIENT_CONCURRENCY: '0',
      TICKETS_REDIS_URL: 'redis://:pw@cache.example:6379/2',
      TICKETS_REQUEST_TIMEOUT_MS: '5000',
      TICKETS_HEADERS_TIMEOUT_MS: '2000',
      TICKETS_KEEP_ALIVE_TIMEOUT_MS: '3000',
      TICKETS_MAX_CONNECTIONS: '100',
      TICKETS_SHUTDOWN_TIMEOUT_MS: '0',
      TICKETS_METRICS_PORT: '9464',
      TICKETS_EVENT_RETENTION_DAYS: '7',
      TICKETS_WEBHOOKS_ALLOW_PRIVATE: 'true',
      TICKETS_STREAM_MAX_SECONDS: '60',
      TICKETS_STREAM_HEARTBEAT_SECONDS: '5',
      TICKETS_STREAMS_PER_CLIENT: '0',
    })
    expect(config).toEqual({
      databaseUrl: 'postgres://tickets:pw@db.example:5432/tickets',
      dataDir: '/var/lib/tickets',
      port: 0,
      host: '0.0.0.0',
      logLevel: 'debug',
      signingSecret: SECRET,
      keyEncryptionKey: KEK,
      poolSize: 200,
      statementTimeoutMs: 0,
      trustProxy: true,
      demo: 'never',
      rateLimit: 0,
      tokenRateLimitPerClient: 10,
      tokenRateLimitPerAddress: 20,
      clientConcurrency: 0,
      redisUrl: 'redis://:pw@cache.example:6379/2',
      requestTimeoutMs: 5000,
      headersTimeoutMs: 2000,
      keepAliveTimeoutMs: 3000,
      maxConnections: 100,
      shutdownTimeoutMs: 0,
      metricsPort: 9464,
      eventRetentionDays: 7,
      webhooksAllowPrivate: true,
      streamMaxSeconds: 60,
      streamHeartbeatSeconds: 5,
      streamsPerClient: 0,
    })
  })

  it('accepts the postgresql:// scheme and the upper bounds', () => {
    const env = {
      TICKETS_DATABASE_URL: 'postgresql://localhost/tickets',
      PORT: '65535',
      TICKETS_STATEMENT_TIMEOUT_MS: '3600000',
      TICKETS_TRUST_PROXY: 'false',
    }
    expect(loadConfig(env)).toMatchObject({
      databaseUrl: 'postgresql://localhost/tickets',
      port: 65535,
      statementTimeoutMs: 3_600_000,
      trustProxy: false,
    })
  })

  it('reports every problem at once, each naming its variable', () => {
    expect(
      problems({
        TICKETS_DATABASE_URL: 'mysql://localhost/tickets',
        PORT: '65536',
        TICKETS_LOG_LEVEL: 'loud',
        TICKETS_SIGNING_SECRET: 'x'.repeat(31),
        TICKETS_POOL_SIZE: '0',
        TICKETS_STATEMENT_TIMEOUT_MS: '-1',
        TICKETS_TRUST_PROXY: 'yes',
        TICKETS_DEMO: 'sometimes',
        TICKETS_WEBHOOKS_ALLOW_PRIVATE: '1',
      }),
    ).toEqual([
      'TICKETS_DATABASE_URL must be a postgres:// or postgresql:// URL',
      'PORT must be an integer from 0 to 65535',
      'TICKETS_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      'TICKETS_SIGNING_SECRET must be at least 32 characters',
      'TICKETS_POOL_SIZE must be an integer from 1 to 200',
      'TICKETS_STATEMENT_TIMEOUT_MS must be an integer from 0 to 3600000',
      'TICKETS_TRUST_PROXY must be true or false',
      'TICKETS_DEMO must be one of auto, always, never',
      'TICKETS_WEBHOOKS_ALLOW_PRIVATE must be true or false',
    ])
  })

  it('reads the key encryption key as 32 bytes in hex, base64 or base64url', () => {
    for (const raw of [KEK.toString('hex'), KEK.toString('hex').toUpperCase(), KEK.toString('base64'), KEK.toString('base64url')])
      expect(loadConfig({ TICKETS_KEY_ENCRYPTION_KEY: raw }).keyEncryptionKey).toEqual(KEK)
  })

  it.each([
    'not a key',
    'abcd',
    KEK.toString('hex').slice(2),
    `${KEK.toString('hex')}00`,
    Buffer.alloc(31).toString('base64'),
    Buffer.alloc(33).toString('base64'),
  ])('refuses TICKETS_KEY_ENCRYPTION_KEY=%j: not 32 bytes', (raw) => {
    expect(problems({ TICKETS_KEY_ENCRYPTION_KEY: raw })).toEqual([
      'TICKETS_KEY_ENCRYPTION_KEY must be 32 bytes in base64 or hex (e.g. openssl rand -base64 32)',
    ])
  })

  it.each(['80.0', ' 80', '80 ', '1e3', '0x50', '+80', 'eighty'])('refuses PORT=%j: integers are plain decimal', (port) => {
    expect(problems({ PORT: port })).toEqual(['PORT must be an integer from 0 to 65535'])
  })

  it.each(['0', '36501', '1.5'])('refuses TICKETS_EVENT_RETENTION_DAYS=%j: whole days from 1', (raw) => {
    expect(problems({ TICKETS_EVENT_RETENTION_DAYS: raw })).toEqual(['TICKETS_EVENT_RETENTION_DAYS must be an integer from 1 to 36500'])
  })

  it.each([
    ['TICKETS_STREAM_MAX_SECONDS', '4', 'must be an integer from 5 to 86400'],
    ['TICKETS_STREAM_HEARTBEAT_SECONDS', '0', 'must be an integer from 1 to 300'],
    ['TICKETS_STREAMS_PER_CLIENT', '-1', 'must be an integer from 0 to 100000'],
  ])('refuses %s=%j', (name, raw, message) => {
    expect(problems({ [name]: raw })).toEqual([`${name} ${message}`])
  })

  it('refuses an unknown TICKETS_* variable, listing the known ones', () => {
    const known =
      'TICKETS_DATABASE_URL, TICKETS_DATA_DIR, TICKETS_LOG_LEVEL, TICKETS_SIGNING_SECRET, TICKETS_KEY_ENCRYPTION_KEY, TICKETS_POOL_SIZE, TICKETS_STATEMENT_TIMEOUT_MS, TICKETS_TRUST_PROXY, TICKETS_DEMO, ' +
      'TICKETS_RATE_LIMIT, TICKETS_TOKEN_RATE_LIMIT_PER_CLIENT, TICKETS_TOKEN_RATE_LIMIT_PER_ADDRESS, TICKETS_CLIENT_CONCURRENCY, ' +
      'TICKETS_REDIS_URL, TICKETS_REQUEST_TIMEOUT_MS, TICKETS_HEADERS_TIMEOUT_MS, TICKETS_KEEP_ALIVE_TIMEOUT_MS, TICKETS_MAX_CONNECTIONS, ' +
      'TICKETS_SHUTDOWN_TIMEOUT_MS, TICKETS_METRICS_PORT, TICKETS_EVENT_RETENTION_DAYS, TICKETS_WEBHOOKS_ALLOW_PRIVATE, ' +
      'TICKETS_STREAM_MAX_SECONDS, TICKETS_STREAM_HEARTBEAT_SECONDS, TICKETS_STREAMS_PER_CLIENT'
    expect(problems({ TICKETS_PORT: '80', TICKETS_DATABASE_URI: 'postgres://x' })).toEqual([
      `TICKETS_PORT is not a setting (known: ${known})`,
      `TICKETS_DATABASE_URI is not a setting (known: ${known})`,
    ])
  })

  it('reports bad values and unknown variables together', () => {
    expect(problems({ PORT: 'x', TICKETS_LOGLEVEL: 'debug' })).toHaveLength(2)
  })

  it('ignores TICKETS_TEST_DATABASE_URL, the client CLI’s variables and those of other programs', () => {
    const env = {
      TICKETS_TEST_DATABASE_URL: 'not even a url',
      TICKETS_API_URL: 'http://127.0.0.1:8080',
      TICKETS_CLIENT_ID: 'tc_x',
      TICKETS_CLIENT_SECRET: 's',
      PATH: '/usr/bin',
      NODE_ENV: 'test',
      DATABASE_URL: 'mysql://x',
    }
    expect(loadConfig(env)).toEqual(DEFAULTS)
  })

  it('returns a frozen configuration', () => {
    const config = loadConfig({})
    expect(Object.isFrozen(config)).toBe(true)
    expect(() => {
      ;(config as Config).port = 1
    }).toThrow(TypeError)
  })
})

describe('describeConfig', () => {
  const shown = (env: NodeJS.ProcessEnv) => Object.fromEntries(describeConfig(loadConfig(env)).map((row) => [row.env, row.value]))

  it('lists every setting with its variable, effective value and reason', () => {
    const rows = describeConfig(loadConfig({}))
    expect(rows.map((row) => [row.key, row.env, row.value])).toEqual([
      ['databaseUrl', 'TICKETS_DATABASE_URL', '(unset)'],
      ['dataDir', 'TICKETS_DATA_DIR', './data'],
      ['port', 'PORT', '8080'],
      ['host', 'HOST', '127.0.0.1'],
      ['logLevel', 'TICKETS_LOG_LEVEL', 'info'],
      ['signingSecret', 'TICKETS_SIGNING_SECRET', '(unset)'],
      ['keyEncryptionKey', 'TICKETS_KEY_ENCRYPTION_KEY', '(unset)'],
      ['poolSize', 'TICKETS_POOL_SIZE', '10'],
      ['statementTimeoutMs', 'TICKETS_STATEMENT_TIMEOUT_MS', '10000'],
      ['trustProxy', 'TICKETS_TRUST_PROXY', 'false'],
      ['demo', 'TICKETS_DEMO', 'auto'],
      ['rateLimit', 'TICKETS_RATE_LIMIT', '3000'],
      ['tokenRateLimitPerClient', 'TICKETS_TOKEN_RATE_LIMIT_PER_CLIENT', '60'],
      ['tokenRateLimitPerAddress', 'TICKETS_TOKEN_RATE_LIMIT_PER_ADDRESS', '600'],
      ['clientConcurrency', 'TICKETS_CLIENT_CONCURRENCY', '4'],
      ['redisUrl', 'TICKETS_REDIS_URL', '(unset)'],
      ['requestTimeoutMs', 'TICKETS_REQUEST_TIMEOUT_MS', '30000'],
      ['headersTimeoutMs', 'TICKETS_HEADERS_TIMEOUT_MS', '10000'],
      ['keepAliveTimeoutMs', 'TICKETS_KEEP_ALIVE_TIMEOUT_MS', '65000'],
      ['maxConnections', 'TICKETS_MAX_CONNECTIONS', '4096'],
      ['shutdownTimeoutMs', 'TICKETS_SHUTDOWN_TIMEOUT_MS', '25000'],
      ['metricsPort', 'TICKETS_METRICS_PORT', '(unset)'],
      ['eventRetentionDays', 'TICKETS_EVENT_RETENTION_DAYS', '30'],
      ['webhooksAllowPrivate', 'TICKETS_WEBHOOKS_ALLOW_PRIVATE', 'false'],
      ['streamMaxSeconds', 'TICKETS_STREAM_MAX_SECONDS', '300'],
      ['streamHeartbeatSeconds', 'TICKETS_STREAM_HEARTBEAT_SECONDS', '15'],
      ['streamsPerClient', 'TICKETS_STREAMS_PER_CLIENT', '10'],
    ])
    for (const row of rows) expect(row.why.length).toBeGreaterThan(10)
  })

  it('hides the database credentials but keeps the host visible', () => {
    expect(shown({ TICKETS_DATABASE_URL: 'postgres://tickets:s3cr3t@db.example:5432/tickets' })['TICKETS_DATABASE_URL']).toBe(
      'postgres://***@db.example:5432/tickets',
    )
    expect(shown({ TICKETS_DATABASE_URL: 'postgresql://db.example/tickets' })['TICKETS_DATABASE_URL']).toBe(
      'postgresql://db.example/tickets',
    )
  })

  it('hides the Redis password', () => {
    expect(shown({ TICKETS_REDIS_URL: 'redis://:s3cr3t@cache.example:6379/0' })['TICKETS_REDIS_URL']).not.toContain('s3cr3t')
  })

  it('hides the signing secret', () => {
    expect(shown({ TICKETS_SIGNING_SECRET: SECRET })['TICKETS_SIGNING_SECRET']).toBe('***')
  })

  it('hides the key encryption key', () => {
    const rows = describeConfig(loadConfig({ TICKETS_KEY_ENCRYPTION_KEY: KEK.toString('hex') }))
    expect(Object.fromEntries(rows.map((row) => [row.env, row.value]))['TICKETS_KEY_ENCRYPTION_KEY']).toBe('***')
    expect(JSON.stringify(rows)).not.toContain(KEK.toString('hex'))
    expect(JSON.stringify(rows)).not.toContain(KEK.toString('base64'))
  })

  it('hides a signing secret that happens to begin with "postgres"', () => {
    const secret = 'postgres-is-not-a-url-but-a-secret-0123456789'
    expect(JSON.stringify(describeConfig(loadConfig({ TICKETS_SIGNING_SECRET: secret })))).not.toContain(secret)
  })

  it('hides credentials passed as query parameters, and keeps the harmless ones', () => {
    const url =
      'postgres://db.example/tickets?sslmode=verify-full&password=s3cr3t&sslpassword=k3yp4ss&sslkey=/keys/client.key&application_name=tickets&PassWord=x2'
    const value = shown({ TICKETS_DATABASE_URL: url })['TICKETS_DATABASE_URL']
    expect(value).toBe(
      'postgres://db.example/tickets?sslmode=verify-full&password=***&sslpassword=***&sslkey=***&application_name=tickets&PassWord=***',
    )
    for (const secret of ['s3cr3t', 'k3yp4ss', 'client.key', 'x2'])
      expect(JSON.stringify(describeConfig(loadConfig({ TICKETS_DATABASE_URL: url })))).not.toContain(secret)
    expect(shown({ TICKETS_DATABASE_URL: 'postgres://u:pw@db/t?sslmode=require' })['TICKETS_DATABASE_URL']).toBe(
      'postgres://***@db/t?sslmode=require',
    )
  })

  it('hides every part of a password that contains an unencoded "@"', () => {
    const rows = describeConfig(loadConfig({ TICKETS_DATABASE_URL: 'postgres://tickets:pa@ss-word-42@db.example/tickets' }))
    expect(JSON.stringify(rows)).not.toContain('ss-word-42')
  })
})
