// Once per test run: build the CLI that the CLI tests spawn, and initialise one migrated
// PGlite data directory that every embedded-store test copies (initdb takes seconds; a copy
// takes milliseconds). Also checks that TICKETS_TEST_DATABASE_URL, when set, is reachable.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { openStore } from '../../src/store/open-store.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string
  }
}

export default async function setup(project: TestProject) {
  // The CLI tests run the built bin/tickets; its simulate command imports the client's build.
  execFileSync('npx', ['tsc', '-p', 'client/tsconfig.json'], { stdio: 'inherit' })
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })

  const root = mkdtempSync(join(tmpdir(), 'tickets-template-'))
  const store = await openStore({ dataDir: root })
  await store.close()
  project.provide('pgliteTemplate', root)

  const url = process.env.TICKETS_TEST_DATABASE_URL
  if (url) {
    const client = new pg.Client({ connectionString: url })
    try {
      await client.connect()
      await client.query('SELECT 1')
    } catch (error) {
      throw new Error(`TICKETS_TEST_DATABASE_URL is set but PostgreSQL cannot be reached: ${(error as Error).message}`)
    } finally {
      await client.end().catch(() => undefined)
    }
  } else {
    console.warn('\n  PostgreSQL store tests are SKIPPED: set TICKETS_TEST_DATABASE_URL to run them (.ci/run does).\n')
  }
  return () => rmSync(root, { recursive: true, force: true })
}
