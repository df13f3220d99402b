// `tickets serve` on a fresh embedded data directory, as `npm start` runs it: it seeds a demo,
// prints credentials and a curl line that works, serves the CLI meanwhile, and stops cleanly.
import { execFile, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DEMO_TICKETS } from '../../src/cli/demo.js'
import { CLI_TEST_TIMEOUT, runCli, spawnCli } from './fixtures/cli.js'

// Each command is a fresh Node process that loads the whole service; shared CI machines are slow.
vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

const run = promisify(execFile)

interface Served {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function startServer(env: Record<string, string>): Served {
  const child = spawnCli(['serve', '--port', '0'], env)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

/** Resolves when stdout matches, rejects if the server exits first. */
async function waitFor(served: Served, pattern: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(served.stdout())
    if (match) return match
    const done = await Promise.race([served.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))])
    if (done) throw new Error(`server exited (${done.code ?? done.signal}) before printing ${pattern}: ${served.stderr()}`)
  }
}

describe('tickets serve on a fresh embedded data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickets-serve-'))
  const env = { TICKETS_DATA_DIR: dataDir }
  let served: Served
  let baseUrl: string

  beforeAll(async () => {
    served = startServer(env)
    baseUrl = (await waitFor(served, /listening on (http:\/\/\S+)/))[1]!
    await waitFor(served, /^API reference: .*$/m)
  }, 180_000)

  afterAll(async () => {
    if (served && served.child.exitCode === null && served.child.signalCode === null) {
      served.child.kill('SIGKILL')
      await served.exited
    }
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('prints the URL it listens on, with the port the system chose for --port 0', () => {
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(Number(new URL(baseUrl).port)).toBeGreaterThan(0)
  })

  it('prints demo credentials that the token endpoint accepts', async () => {
    const text = served.stdout()
    expect(text).toMatch(new RegExp(`Demo provider [0-9a-f-]{36} with ${DEMO_TICKETS} tickets`))
    const clientId = /client_id: +(\S+)/.exec(text)![1]!
    const clientSecret = /client_secret: +(\S+)/.exec(text)![1]!
    const response = await fetch(`${baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', scope: 'tickets:read tickets:write' })
  })

  it('prints a curl command that returns tickets when pasted into a shell', async () => {
    const command = served
      .stdout()
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.startsWith('curl '))
    expect(command).toBeDefined()
    const { stdout } = await run('sh', ['-c', command!], { timeout: 60_000 })
    const body = JSON.parse(stdout) as { result: Array<{ state: string }>; total: number }
    expect(body.result.length).toBeGreaterThan(0)
    expect(body.result.every((t) => t.state === 'closed')).toBe(true)
    expect(body.total).toBeGreaterThanOrEqual(body.result.length)
  })

  it('lets a CLI command use the same data directory while the server runs', async () => {
    const result = await runCli(['clients', 'list', '--json'], env)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const clients = JSON.parse(result.stdout) as Array<{ client_id: string; name: string }>
    const demoClient = /client_id: +(\S+)/.exec(served.stdout())![1]!
    expect(clients.map((c) => c.client_id)).toEqual([demoClient])
  })

  it('exits 0 on SIGTERM and removes its tickets.lock file', async () => {
    expect(existsSync(join(dataDir, 'tickets.lock'))).toBe(true)
    served.child.kill('SIGTERM')
    expect(await served.exited).toEqual({ code: 0, signal: null })
    expect(existsSync(join(dataDir, 'tickets.lock'))).toBe(false)
  })
})
