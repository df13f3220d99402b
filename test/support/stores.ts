// Opening a fresh store of each kind for a test file, and running a suite against every
// kind: the embedded store always, PostgreSQL when TICKETS_TEST_DATABASE_URL is set (and a
// visible skipped suite when it is not, never a silent pass).
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, inject } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'

export type StoreKind = 'embedded' | 'postgres'

export const TEST_DATABASE_URL = process.env.TICKETS_TEST_DATABASE_URL

export interface TestStore {
  store: Store
  /** How to open the same store again (for the CLI and multi-process tests). */
  env: Record<string, string>
  dispose(): Promise<void>
}

/** A new, empty, migrated store of the given kind. */
export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === 'embedded') {
    const dataDir = mkdtempSync(join(tmpdir(), 'tickets-test-'))
    cpSync(inject('pgliteTemplate'), dataDir, { recursive: true })
    const store = await openStore({ dataDir, serveEmbedded: true, role: 'server', cacheClients: true })
    return {
      store,
      env: { TICKETS_DATA_DIR: dataDir },
      async dispose() {
        await store.close()
        rmSync(dataDir, { recursive: true, force: true })
      },
    }
  }
  if (!TEST_DATABASE_URL) throw new Error('TICKETS_TEST_DATABASE_URL is not set')
  const name = `tickets_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`
  const store = await openStore({ databaseUrl: url.toString(), dataDir: '', poolSize: 4, cacheClients: true })
  return {
    store,
    env: { TICKETS_DATABASE_URL: url.toString() },
    async dispose() {
      await store.close()
      const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await cleanup.connect()
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await cleanup.end()
    },
  }
}

export const STORE_KINDS: StoreKind[] = TEST_DATABASE_URL ? ['embedded', 'postgres'] : ['embedded']

export interface StoreContext {
  kind: StoreKind
  /** Valid inside tests and hooks (opened in beforeAll). */
  readonly store: Store
  readonly env: Record<string, string>
}

/**
 * Runs `suite` once per store kind, each against its own fresh store. `setup` runs once after
 * the store opens (seed data there).
 */
export function describeEachStore(name: string, suite: (context: StoreContext) => void, setup?: (store: Store) => Promise<void>): void {
  for (const kind of ['embedded', 'postgres'] as const) {
    if (!STORE_KINDS.includes(kind)) {
      describe.skip(`${name} [${kind}: set TICKETS_TEST_DATABASE_URL to run]`, () => suite(placeholder(kind)))
      continue
    }
    describe(`${name} [${kind}]`, () => {
      let opened: TestStore | undefined
      const context: StoreContext = {
        kind,
        get store() {
          if (!opened) throw new Error('store not open yet')
          return opened.store
        },
        get env() {
          if (!opened) throw new Error('store not open yet')
          return opened.env
        },
      }
      beforeAll(async () => {
        opened = await openTestStore(kind)
        await setup?.(opened.store)
      })
      afterAll(async () => {
        await opened?.dispose()
      })
      suite(context)
    })
  }
}

function placeholder(kind: StoreKind): StoreContext {
  return {
    kind,
    get store(): never {
      throw new Error('skipped')
    },
    get env(): never {
      throw new Error('skipped')
    },
  }
}
