import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // src/simulate imports the client workspace: tests run it from source, never a stale build.
  resolve: { alias: { 'tickets-api-client': fileURLToPath(new URL('./client/src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts', 'client/test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // PGlite boots a WASM PostgreSQL per test file; give slow shared machines room.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
})
