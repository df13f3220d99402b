// `tickets serve` writes its log lines to stdout in batches (src/observability/log-destination.ts):
// a line still reaches stdout soon on a quiet server, and the lines buffered when the server is
// told to stop are written before it exits.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, inject, it, vi } from 'vitest'
import { CLI_TEST_TIMEOUT, spawnCli } from './fixtures/cli.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

const dataDir = mkdtempSync(join(tmpdir(), 'tickets-serve-logs-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

// Paths, not query strings: the log keeps a query's parameter names only.
const ticketPath = (i: number) => `/v2/tickets/tickets/00000000-0000-4000-8000-00000000000${i}`

/** The JSON log lines of requests to `path`. */
const linesFor = (stdout: string, path: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { req?: { url?: string }; msg?: string })
    .filter((line) => line.req?.url === path)

it('writes a request’s log line within a second on a quiet server, and every buffered line before it exits', async () => {
  cpSync(inject('pgliteTemplate'), dataDir, { recursive: true })
  const child = spawnCli(['serve', '--port', '0'], { TICKETS_DATA_DIR: dataDir, TICKETS_DEMO: 'never', TICKETS_LOG_LEVEL: 'info' })
  let stdout = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  for (let i = 0; i < 1200 && !/listening on http:\/\/127\.0\.0\.1:(\d+)/.test(stdout); i++) await new Promise((r) => setTimeout(r, 100))
  const base = `http://127.0.0.1:${/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]}`

  // One request on an idle server: far less than a batch, written by the periodic flush.
  expect((await fetch(`${base}/v2/tickets/tickets`)).status).toBe(401)
  for (let i = 0; i < 50 && linesFor(stdout, '/v2/tickets/tickets').length === 0; i++) await new Promise((r) => setTimeout(r, 20))
  expect(linesFor(stdout, '/v2/tickets/tickets').length).toBeGreaterThan(0)

  // Lines logged just before the signal are still buffered when it arrives.
  await Promise.all(Array.from({ length: 5 }, (_, i) => fetch(`${base}${ticketPath(i)}`)))
  child.kill('SIGTERM')
  expect(await exited).toBe(0)
  for (let i = 0; i < 5; i++) expect(linesFor(stdout, ticketPath(i)).length, `request ${i}`).toBeGreaterThan(0)
})
