// The PGlite database itself: how it is opened and how one statement runs on it. Only the
// database thread (pglite-thread-entry.ts) calls these; everyone else goes through PglitePool.
import { PGlite, types } from '@electric-sql/pglite'
import { commandOf, toArrayLiteral, type QueryResult } from './pool.js'

// The same value shapes node-postgres produces with our type overrides (see pg-pool.ts):
// int8 and timestamptz stay text, so both drivers hand the store identical rows.
const PARSERS = {
  [types.INT8]: (value: string) => value,
  [types.TIMESTAMPTZ]: (value: string) => value,
}

/** What every session starts with; restored after each remote session (see PglitePool.restoreSession). */
export const SESSION_SETTINGS = "SET TimeZone TO 'UTC'"

export async function openPglite(dataDir: string | undefined): Promise<PGlite> {
  const db = await PGlite.create(dataDir ?? 'memory://', { parsers: PARSERS })
  await db.exec(SESSION_SETTINGS)
  return db
}

// Like node-postgres: a statement without parameters goes through the simple protocol (so a
// migration may hold several statements); one with parameters is parsed and bound.
export async function runOnPglite(db: PGlite, sql: string, parameters: readonly unknown[]): Promise<QueryResult> {
  const result =
    parameters.length === 0
      ? (await db.exec(sql)).at(-1)
      : await db.query<Record<string, unknown>>(
          sql,
          parameters.map((p) => (Array.isArray(p) ? toArrayLiteral(p) : p)),
        )
  const rows = (result?.rows ?? []) as Record<string, unknown>[]
  return { command: commandOf(sql), rowCount: result?.affectedRows ?? rows.length, rows }
}
