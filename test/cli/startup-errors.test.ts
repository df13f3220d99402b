// An unreachable database is one clear line and exit 1, never a stack trace.
import { describe, expect, it, vi } from 'vitest'
import { CLI_TEST_TIMEOUT, linesOf, runCli, STACK_FRAME } from './fixtures/cli.js'

// Each command is a fresh Node process that loads the whole service; shared CI machines are slow.
vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

const UNREACHABLE = { TICKETS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }

describe('tickets with an unreachable database', () => {
  for (const args of [['migrate'], ['serve', '--port', '0']]) {
    it(`fails \`tickets ${args.join(' ')}\` with exit 1 and one line on stderr naming the database, no stack trace`, async () => {
      const result = await runCli(args, UNREACHABLE)
      expect(result.code, result.stderr).toBe(1)
      expect(result.stdout).not.toContain('listening')
      expect(linesOf(result.stderr)).toEqual([expect.stringContaining('127.0.0.1:1')])
      expect(result.stderr).not.toMatch(STACK_FRAME)
    })
  }
})
