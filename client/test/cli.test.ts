// tickets-client against the real server: list/get/mark-processed, events list/follow,
// credentials from env, exit codes 0/1/2 and one-line errors. Mostly in-process (main() with
// captured output); the last tests spawn the package's bin after building it, as an integrator
// would run it.
import { execFile, execFileSync, spawn as spawnProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../src/cli.js'
import { createTicketsClient, type FeedEvent, type TicketsClient } from '../src/index.js'
import { settleFeed } from '../../test/support/feed.js'
import { CUSTOMER_X, EDGE_TICKETS, PROVIDER_A, seedStore, ticketsOf } from '../../test/support/fixtures.js'
import { startLiveApi, type LiveApi } from './support.js'

const CLIENT_DIR = fileURLToPath(new URL('..', import.meta.url))
const BIN = fileURLToPath(new URL('../bin/tickets-client', import.meta.url))
const UNKNOWN_ID = 'deadbeef-0000-4000-8000-000000000000'
const MANAGE = ['tickets:read', 'tickets:write', 'tickets:manage'] as const
const NEW_TICKET = { customer_id: CUSTOMER_X, vehicle_model_id: 4711, vin: 'WVWZZZ1JZXW000001' }

describe('tickets-client CLI', () => {
  let api: LiveApi
  let env: Record<string, string>

  beforeAll(async () => {
    api = await startLiveApi(seedStore)
    const { clientId, clientSecret } = await api.credentials(PROVIDER_A)
    env = { TICKETS_API_URL: api.baseUrl, TICKETS_CLIENT_ID: clientId, TICKETS_CLIENT_SECRET: clientSecret }
  })
  afterAll(async () => {
    await api?.close()
  })

  async function run(argv: string[], environment: Record<string, string> = env) {
    let stdout = ''
    let stderr = ''
    const code = await main(argv, environment, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) })
    return { code, stdout, stderr }
  }

  it('list --state closed --json prints the API answer: query, result and total', async () => {
    const { code, stdout, stderr } = await run(['list', '--state', 'closed', '--json'])
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    const page = JSON.parse(stdout)
    expect(page.query).toEqual({ state: ['closed'], limit: 25, offset: 0, sort_by: { created_at: 'asc' } })
    expect(page.total).toBe(ticketsOf(PROVIDER_A).filter((t) => t.state === 'closed').length)
    expect(page.result.every((t: { state: string }) => t.state === 'closed')).toBe(true)
  })

  it('list takes any filter as a flag, --sort in order, and prints one line per ticket and a count', async () => {
    const { code, stdout } = await run(['list', '--externally-processed', 'true', '--sort', 'ticket_number:desc', '--limit', '5'])
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    const expected = ticketsOf(PROVIDER_A).filter((t) => t.externally_processed)
    expect(lines.at(-1)).toBe(`${Math.min(5, expected.length)} of ${expected.length} tickets (offset 0)`)
    expect(lines[0]).toMatch(new RegExp(`^${EDGE_TICKETS[4]!.id}  9000005 `))
  })

  it('list --all --json prints every matching ticket, one JSON object per line', async () => {
    const { code, stdout } = await run(['list', '--all', '--page-size', '7', '--json'])
    expect(code).toBe(0)
    const tickets = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string })
    expect(tickets.map((t) => t.id).sort()).toEqual(
      ticketsOf(PROVIDER_A)
        .map((t) => t.id)
        .sort(),
    )
  })

  it('get prints the ticket as JSON', async () => {
    const { code, stdout } = await run(['get', EDGE_TICKETS[0]!.id])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual(EDGE_TICKETS[0])
  })

  it('mark-processed marks the ticket, with the external reference', async () => {
    const id = EDGE_TICKETS[1]!.id
    const { code, stdout } = await run(['mark-processed', id, '--external-reference', 'ERP-77'])
    expect(code).toBe(0)
    expect(stdout).toBe(`Marked ${id} processed (external_reference ERP-77)\n`)
    const after = JSON.parse((await run(['get', id])).stdout)
    expect(after).toMatchObject({ externally_processed: true, external_reference: 'ERP-77' })
  })

  it('exits 1 with the problem on one line when the API says no', async () => {
    const missing = await run(['get', UNKNOWN_ID])
    expect(missing.code).toBe(1)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toMatch(
      new RegExp(
        `^tickets-client: GET /v2/tickets/tickets/${UNKNOWN_ID} answered 404 ticket-not-found: No ticket ${UNKNOWN_ID} exists for this client\\. \\(request id [\\w-]+\\)\\n$`,
      ),
    )
    const invalid = await run(['list', '--state', 'bogus'])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toMatch(
      /^tickets-client: GET \/v2\/tickets\/tickets\?state=bogus answered 400 invalid-filter: Query parameter state has an element "bogus"[^\n]*\n$/,
    )
  })

  it('exits 2 with one line for usage errors', async () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['frobnicate'], env, 'tickets-client: unknown command "frobnicate"\n'],
      [['list', '--colour', 'red'], env, 'tickets-client: unknown option --colour\n'],
      [['list', '--externally-processed', 'yes'], env, 'tickets-client: --externally-processed must be true or false\n'],
      [['get'], env, 'tickets-client: get takes exactly one ticket id\n'],
      [['list', '--page-size', '5'], env, 'tickets-client: --page-size goes with --all\n'],
      [['list'], { TICKETS_API_URL: api.baseUrl }, 'tickets-client: set TICKETS_CLIENT_ID, TICKETS_CLIENT_SECRET (see --help)\n'],
      [
        ['list'],
        { ...env, TICKETS_API_URL: 'localhost:8080' },
        'tickets-client: TICKETS_API_URL must be an http(s) URL such as http://127.0.0.1:8080, got "localhost:8080"\n',
      ],
    ]
    for (const [argv, environment, stderr] of cases)
      expect(await run(argv, environment), argv.join(' ')).toEqual({ code: 2, stdout: '', stderr })
  })

  describe('events', () => {
    let platform: TicketsClient
    const created: string[] = []
    const lines = (text: string) => text.trimEnd().split('\n')

    beforeAll(async () => {
      platform = createTicketsClient({ baseUrl: api.baseUrl, ...(await api.credentials(PROVIDER_A, [...MANAGE])) })
      for (let i = 0; i < 3; i++) created.push((await platform.tickets.create(NEW_TICKET)).ticket.id)
      await settleFeed(api.store, [PROVIDER_A])
    })

    it('events list prints one page and says how to go on; --all reads every page; --json prints the answer', async () => {
      const page = await run(['events', 'list', '--type', 'tickets.ticket.created', '--limit', '2'])
      expect(page.code).toBe(0)
      const [first, second, summary] = lines(page.stdout)
      expect(first).toMatch(new RegExp(`^[0-9A-Z]{26}  \\S+\\s+tickets\\.ticket\\.created\\s+ticket ${created[0]} \\(pending\\)$`))
      const secondId = second!.slice(0, 26)
      expect(summary).toBe(`2 events; more follow: --after-id ${secondId} (or --all)`)
      const rest = await run(['events', 'list', '--type', 'tickets.ticket.created', '--after-id', secondId])
      expect(lines(rest.stdout)).toEqual([expect.stringContaining(`ticket ${created[2]}`), '1 events'])
      const all = await run(['events', 'list', '--type', 'tickets.ticket.created', '--all', '--page-size', '1', '--json'])
      expect(lines(all.stdout).map((line) => (JSON.parse(line) as FeedEvent).payload)).toMatchObject(
        created.map((id) => ({ ticket: { id } })),
      )
      const answer = JSON.parse((await run(['events', 'list', '--type', 'tickets.ticket.*', '--ticket-id', created[1]!, '--json'])).stdout)
      expect(answer.query).toEqual({ limit: 25, type: ['tickets.ticket.*'], ticket_id: created[1], wait: 0 })
      expect(answer.result).toMatchObject([{ type: 'tickets.ticket.created', payload: { ticket: { id: created[1] } } }])
    })

    it('events follow prints what is committed until stopped, then exits 0', async () => {
      const newest = (await platform.events.list({ limit: 100 })).nextAfterId!
      const stop = new AbortController()
      let stdout = ''
      let stderr = ''
      const io = { stdout: (text: string) => void (stdout += text), stderr: (text: string) => void (stderr += text), signal: stop.signal }
      const running = main(['events', 'follow', '--after-id', newest, '--wait', '5', '--json'], env, io)
      const id = (await platform.tickets.create(NEW_TICKET)).ticket.id
      await vi.waitFor(() => expect(stdout).toContain(id), { timeout: 15_000 })
      stop.abort()
      expect(await running).toBe(0)
      expect(lines(stdout).map((line) => (JSON.parse(line) as FeedEvent).type)).toEqual(['tickets.ticket.created'])
      expect(stderr).toBe('')
    })

    it('exits 2 for events usage errors', async () => {
      const cases: Array<[string[], string]> = [
        [['events'], 'tickets-client: events needs list or follow\n'],
        [['events', 'tail'], 'tickets-client: unknown events command "tail" (list or follow)\n'],
        [['events', 'follow', '--wait', '31'], 'tickets-client: --wait must be a number from 1 to 30\n'],
        [['events', 'list', '--page-size', '5'], 'tickets-client: --page-size goes with --all\n'],
        [['events', 'list', '--all', '--limit', '5'], 'tickets-client: --limit does not go with --all (use --page-size)\n'],
      ]
      for (const [argv, stderr] of cases) expect(await run(argv), argv.join(' ')).toEqual({ code: 2, stdout: '', stderr })
    })
  })

  describe('the bin', () => {
    beforeAll(() => {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: CLIENT_DIR, stdio: 'inherit' })
    }, 120_000)

    const spawn = (args: string[], environment: Record<string, string>) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(BIN, args, { env: { PATH: process.env.PATH ?? '', ...environment } }, (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
        )
      })

    it('runs the built CLI: list --state closed --json exits 0 with the JSON answer', async () => {
      const { code, stdout, stderr } = await spawn(['list', '--state', 'closed', '--json', '--limit', '2'], env)
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
      expect(JSON.parse(stdout).result).toHaveLength(2)
    })

    it('runs events follow until SIGINT, then exits 0', async () => {
      const platform = createTicketsClient({ baseUrl: api.baseUrl, ...(await api.credentials(PROVIDER_A, [...MANAGE])) })
      await settleFeed(api.store, [PROVIDER_A])
      const newest = (await platform.events.list({ limit: 1000 })).nextAfterId ?? ''
      const child = spawnProcess(BIN, ['events', 'follow', '--json', '--wait', '5', ...(newest ? ['--after-id', newest] : [])], {
        env: { PATH: process.env.PATH ?? '', ...env },
      })
      let stdout = ''
      child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      try {
        // From --after-id the ticket is seen whether the first poll starts before or after the commit.
        const id = (await platform.tickets.create(NEW_TICKET)).ticket.id
        await vi.waitFor(() => expect(stdout).toContain(id), { timeout: 20_000 })
        child.kill('SIGINT')
        expect(await exited).toBe(0)
      } finally {
        child.kill('SIGKILL')
      }
    })

    it('exits 1 for an API error and 2 without credentials', async () => {
      expect(await spawn(['get', UNKNOWN_ID], env)).toMatchObject({ code: 1, stdout: '' })
      expect(await spawn(['list'], {})).toEqual({
        code: 2,
        stdout: '',
        stderr: 'tickets-client: set TICKETS_API_URL, TICKETS_CLIENT_ID, TICKETS_CLIENT_SECRET (see --help)\n',
      })
    })
  })
})
