// tickets-client against the real server: list/get/mark-processed, credentials from env,
// exit codes 0/1/2 and one-line errors. Mostly in-process (main() with captured output); the
// last tests spawn the package's bin after building it, as an integrator would run it.
import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.js'
import { EDGE_TICKETS, PROVIDER_A, seedStore, ticketsOf } from '../../test/support/fixtures.js'
import { startLiveApi, type LiveApi } from './support.js'

const CLIENT_DIR = fileURLToPath(new URL('..', import.meta.url))
const BIN = fileURLToPath(new URL('../bin/tickets-client', import.meta.url))
const UNKNOWN_ID = 'deadbeef-0000-4000-8000-000000000000'

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
