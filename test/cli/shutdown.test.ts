// Graceful shutdown of `tickets serve`: on SIGTERM /readyz turns 503 while the listener still
// serves, then the listener closes, and a request that never completes cannot hold the process
// past the shutdown deadline.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, inject, it, vi } from 'vitest'
import { CLI_TEST_TIMEOUT, runCli, spawnCli } from './fixtures/cli.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

const dataDir = mkdtempSync(join(tmpdir(), 'tickets-shutdown-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

it('turns readiness off on SIGTERM, then cuts a stalled request at the deadline and exits 0', async () => {
  cpSync(inject('pgliteTemplate'), dataDir, { recursive: true })
  const child = spawnCli(['serve', '--port', '0'], {
    TICKETS_DATA_DIR: dataDir,
    TICKETS_DEMO: 'never',
    // 10 s deadline: 2 s of readiness grace, then 8 s for requests in flight.
    TICKETS_SHUTDOWN_TIMEOUT_MS: '10000',
    TICKETS_REQUEST_TIMEOUT_MS: '600000',
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  for (let i = 0; i < 1200 && !/listening on http:\/\/127\.0\.0\.1:(\d+)/.test(stdout); i++) await new Promise((r) => setTimeout(r, 100))
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1])
  expect(port, stderr).toBeGreaterThan(0)
  const base = `http://127.0.0.1:${port}`
  expect((await fetch(`${base}/readyz`)).status).toBe(200)

  // A request whose body never arrives: in flight until the deadline.
  const stalled = connect(port, '127.0.0.1')
  await new Promise((resolve) => stalled.once('connect', resolve))
  stalled.write(
    'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 50\r\n\r\ngrant',
  )
  const stalledClosed = new Promise<void>((resolve) => stalled.once('close', () => resolve()))
  stalled.on('error', () => undefined)

  const signalledAt = Date.now()
  child.kill('SIGTERM')
  for (let i = 0; i < 100 && !stdout.includes('Shutting down'); i++) await new Promise((r) => setTimeout(r, 20))
  const readiness = await fetch(`${base}/readyz`)
  expect(readiness.status).toBe(503)
  expect(await readiness.json()).toMatchObject({ code: 'shutting-down' })
  expect((await fetch(`${base}/healthz`)).status).toBe(200)

  expect(await exited).toBe(0)
  await stalledClosed
  // It waited for the stalled request (more than the grace), but not past the deadline's order.
  expect(Date.now() - signalledAt).toBeGreaterThan(2_000)
  expect(stderr).toContain('requests still running at the shutdown deadline')
})

it('answers a held long poll at once on SIGINT, having purged expired events at start', async () => {
  const feedDir = mkdtempSync(join(tmpdir(), 'tickets-shutdown-feed-'))
  try {
    cpSync(inject('pgliteTemplate'), feedDir, { recursive: true })
    const env = { TICKETS_DATA_DIR: feedDir, TICKETS_DEMO: 'never', TICKETS_EVENT_RETENTION_DAYS: '7' }
    const created = await runCli(
      ['clients', 'create', '--provider', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '--name', 'feed', '--json'],
      env,
    )
    const { client_id: clientId, client_secret: secret } = JSON.parse(created.stdout) as { client_id: string; client_secret: string }
    const child = spawnCli(['serve', '--port', '0'], env)
    let stdout = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    for (let i = 0; i < 1200 && !/listening on http:\/\/127\.0\.0\.1:(\d+)/.test(stdout); i++) await new Promise((r) => setTimeout(r, 100))
    const base = `http://127.0.0.1:${/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]}`
    const token = await fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
    }).then(async (response) => ((await response.json()) as { access_token: string }).access_token)

    const held = fetch(`${base}/v2/system/events?wait=30`, { headers: { authorization: `Bearer ${token}` } })
    await new Promise((r) => setTimeout(r, 500))
    const signalledAt = Date.now()
    child.kill('SIGINT')
    const response = await held
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ query: { limit: 25, wait: 30 }, result: [] })
    expect(await exited).toBe(0)
    expect(Date.now() - signalledAt).toBeLessThan(10_000)
    expect(stdout).toContain('event retention: purged 0 events older than 7 days')
  } finally {
    rmSync(feedDir, { recursive: true, force: true })
  }
})
