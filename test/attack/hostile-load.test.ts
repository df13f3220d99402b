// A scaled-down scripts/attack.ts in the suite: `tickets serve` as a real listening child
// process with the default rate limits and short header/request timeouts, attacked over
// loopback with malformed and oversized token requests, made-up client ids and slowloris
// sockets, all at once, while a partner polls. Only outcomes are asserted, never latencies
// (timings on a shared machine are noise; the script reports them).
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  bogusClientFlood,
  fetchToken,
  malformedTokenFlood,
  MALFORMED_KINDS,
  poll,
  serverEnv,
  sleep,
  slowloris,
  startServerChild,
  type FloodReport,
  type Sample,
  type ServerChild,
  type SlowlorisReport,
} from '../../scripts/hostile.js'
import { BIN } from '../cli/fixtures/cli.js'
import { STORE_KINDS, TEST_DATABASE_URL, type StoreKind } from '../support/stores.js'

// Scaled down from the script's 10,000 / 10,000 / 500 so that a file finishes in well under a
// minute per store on a loaded 2-core machine; still twice the per-address token quota (600).
const MALFORMED = 1_000
const BOGUS = 300
const SLOWLORIS = 200
const CONCURRENCY = 50

/** A status an attack may get: any answer but a server failure (503 server-busy is a refusal). */
const acceptable = (status: string) => !/^5\d\d$/.test(status) || status === '503'

/** An empty migrated store the server process will own: a copy of the suite's PGlite template, or a new database. */
async function freshStore(kind: StoreKind): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (kind === 'embedded') {
    const dataDir = mkdtempSync(join(tmpdir(), 'tickets-hostile-data-'))
    cpSync(inject('pgliteTemplate'), dataDir, { recursive: true })
    return { env: { TICKETS_DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) }
  }
  const name = `tickets_test_${randomBytes(6).toString('hex')}`
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await client.connect()
    try {
      await client.query(sql)
    } finally {
      await client.end()
    }
  }
  await admin(`CREATE DATABASE ${name}`)
  const url = new URL(TEST_DATABASE_URL!)
  url.pathname = `/${name}`
  return { env: { TICKETS_DATABASE_URL: url.toString() }, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

/** The demo client's credentials from the server's banner. */
async function demoCredentials(server: ServerChild): Promise<{ clientId: string; clientSecret: string }> {
  for (let i = 0; i < 600; i++) {
    const log = server.log()
    const id = /client_id: +(\S+)/.exec(log)?.[1]
    const secret = /client_secret: +(\S+)/.exec(log)?.[1]
    if (id && secret) return { clientId: id, clientSecret: secret }
    await sleep(100)
  }
  throw new Error(`no demo credentials in the server's output: ${server.log().slice(0, 2000)}`)
}

for (const kind of ['embedded', 'postgres'] as const satisfies readonly StoreKind[]) {
  const run = STORE_KINDS.includes(kind) ? describe : describe.skip
  run(`hostile load while a partner polls [${kind}${STORE_KINDS.includes(kind) ? '' : ': set TICKETS_TEST_DATABASE_URL to run'}]`, () => {
    let scratch: string | undefined
    let server: ServerChild
    let cleanup: () => Promise<void> = async () => {}
    let partner: Sample[]
    let health: Sample[]
    let malformed: FloodReport
    let bogus: FloodReport
    let loris: SlowlorisReport
    let aliveAfter: boolean

    beforeAll(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'tickets-hostile-'))
      const storeEnv = await freshStore(kind)
      cleanup = storeEnv.drop
      // TICKETS_DEMO=always: the server seeds a provider, 300 tickets and a client itself and
      // prints the client's credentials, which spares the test a second start of the store.
      server = await startServerChild(
        BIN,
        // Default limits, except timeouts short enough that slowloris sockets go within seconds.
        serverEnv({
          ...storeEnv.env,
          TICKETS_DEMO: 'always',
          TICKETS_HEADERS_TIMEOUT_MS: '1000',
          TICKETS_REQUEST_TIMEOUT_MS: '5000',
          TICKETS_LOG_LEVEL: 'warn',
        }),
        join(scratch, 'server.log'),
      )
      const { clientId, clientSecret } = await demoCredentials(server)
      const granted = await fetchToken(server.baseUrl, clientId, clientSecret)
      expect(granted.status).toBe(200)
      const partnerPolls = poll(
        `${server.baseUrl}/v2/tickets/tickets?state=closed&limit=25`,
        200,
        { authorization: `Bearer ${granted.token}` },
        20_000,
      )
      const probes = poll(`${server.baseUrl}/healthz`, 100, {}, 20_000)

      const target = { host: server.host, port: server.port }
      ;[malformed, bogus, loris] = await Promise.all([
        malformedTokenFlood(target, MALFORMED, CONCURRENCY),
        bogusClientFlood(target, BOGUS, CONCURRENCY),
        // Lines every 300 ms: trickling headers must not keep a socket past the headers timeout.
        slowloris(target, { sockets: SLOWLORIS, lineEveryMs: 300, holdMs: 30_000, reopen: false }),
      ])
      partner = await partnerPolls.stop()
      health = await probes.stop()
      aliveAfter = server.exit() === undefined
    }, 150_000)

    afterAll(async () => {
      await server?.stop(10_000)
      await cleanup()
      if (scratch) rmSync(scratch, { recursive: true, force: true })
    })

    it('keeps answering the partner: every poll is a 200', () => {
      expect(partner.length).toBeGreaterThan(5)
      expect(partner.filter((s) => s.status !== 200)).toEqual([])
    })

    it('answers /healthz every time', () => {
      expect(health.length).toBeGreaterThan(10)
      expect(health.filter((s) => s.status !== 200)).toEqual([])
    })

    it('answers every malformed or oversized token request with a 4xx (or 503 server-busy), never a failure', () => {
      expect(malformed.sent).toBe(MALFORMED)
      for (const [kindName, counts] of Object.entries(malformed.byKind)) {
        const statuses = Object.keys(counts)
        expect(
          statuses.filter((s) => !acceptable(s)),
          kindName,
        ).toEqual([])
        // A body larger than the socket buffers may meet a connection the server closed after
        // answering early (413, 429), and the client then sees a reset instead of the answer;
        // a small request always gets its answer.
        if (!kindName.startsWith('1 MiB') && !kindName.startsWith('20,000'))
          expect(
            statuses.every((s) => /^\d{3}$/.test(s)),
            `${kindName}: ${JSON.stringify(counts)}`,
          ).toBe(true)
      }
      expect(Object.keys(malformed.byKind).sort()).toEqual(MALFORMED_KINDS.map((k) => k.kind).sort())
    })

    it('refuses the flood with 429 once the per-address token quota is spent, and never fails on made-up ids', () => {
      expect(bogus.sent).toBe(BOGUS)
      expect(Object.keys(bogus.counts).filter((s) => !acceptable(s))).toEqual([])
      expect(
        Object.keys(bogus.counts).every((s) => ['401', '429', '503'].includes(s)),
        JSON.stringify(bogus.counts),
      ).toBe(true)
      // 1,300 token requests from one address against a quota of 600 a minute.
      expect((malformed.counts['429'] ?? 0) + (bogus.counts['429'] ?? 0)).toBeGreaterThanOrEqual(MALFORMED + BOGUS - 600)
    })

    it('closes every slowloris socket itself, within seconds', () => {
      expect(loris.connectErrors).toEqual({})
      expect(loris.opened).toBe(SLOWLORIS)
      expect(loris.closedByServer).toBe(SLOWLORIS)
      expect(loris.openAtEnd).toBe(0)
      expect(loris.lifetime.max).toBeLessThan(30)
    })

    it('is still running afterwards, with no error logged', () => {
      expect(aliveAfter).toBe(true)
      expect(
        server
          .log()
          .split('\n')
          .filter((line) => /"level":(50|60)/.test(line)),
      ).toEqual([])
    })
  })
}
