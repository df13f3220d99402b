// After `kill -9` of the server, its stale tickets.lock and socket file must not stop the
// embedded store from opening again: no manual repair.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it, vi } from 'vitest'
import { CLI_TEST_TIMEOUT, runCli, spawnCli } from './fixtures/cli.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

describe('the embedded store after the server was killed with SIGKILL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickets-crash-'))
  cpSync(inject('pgliteTemplate'), dataDir, { recursive: true })
  const env = { TICKETS_DATA_DIR: dataDir, TICKETS_DEMO: 'never' }

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('opens again for the CLI, taking over the stale lock and socket', async () => {
    const child = spawnCli(['serve', '--port', '0'], env)
    let stdout = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    try {
      while (!/listening on/.test(stdout)) {
        if (child.exitCode !== null) throw new Error(`the server exited early: ${stdout}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    } catch (error) {
      child.kill('SIGKILL')
      throw error
    }
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    const lock = JSON.parse(readFileSync(join(dataDir, 'tickets.lock'), 'utf8')) as { pid: number; socket: string }
    expect(lock.pid).toBe(child.pid)
    expect(existsSync(lock.socket)).toBe(true)

    const result = await runCli(['clients', 'list', '--json'], env)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(result.stdout)).toEqual([])
    expect(existsSync(join(dataDir, 'tickets.lock'))).toBe(false)
    expect(existsSync(lock.socket)).toBe(false)
  })
})
