// npx tsx bench/explain.ts [--tickets N] [--scenario NAME] [--ref COMMIT]: EXPLAIN (ANALYZE,
// BUFFERS) of every scenario's SQL against the bench database (load it first with npm run
// bench). The SQL is recorded from the build's own store (bench/sql-plan.ts) for the
// scenario's first request on the big provider; each statement runs once more to warm the
// cache, then is explained, inside a transaction that is rolled back. Written to
// bench/explain/<scenario>.txt, or bench/explain/<sha>/ for a --ref build.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type pg from 'pg'
import { ensureBuilt, ROOT } from './cli.js'
import { datasetMeta } from './dataset.js'
import { BENCH_DIR, databaseUrl, postgresTargetName, withAdmin } from './load.js'
import { buildOperations, describeScenario, SCENARIO_NAMES, type Operation } from './scenarios.js'
import { openReplayPool, recordPlans, replayParameters, versionOf, type Statement } from './sql-plan.js'
import { LIFECYCLE_SCENARIOS } from './lifecycle.js'

const { values } = parseArgs({
  options: {
    tickets: { type: 'string' },
    seed: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    ref: { type: 'string' },
    'database-url': { type: 'string' },
  },
})
const log = (line: string) => process.stderr.write(`explain: ${line}\n`)
const tickets = Number(values.tickets ?? 1_000_000)
const seed = Number(values.seed ?? 1)
const base = values['database-url'] ?? 'postgres://postgres@127.0.0.1:5432'
const build = ensureBuilt(log, values.ref)
const database = postgresTargetName(tickets, seed, build.ref)
const url = databaseUrl(base, database)
const outDir = join(ROOT, 'bench/explain', build.ref ?? '')
const CONTROL = /^\s*(begin|commit|rollback)\b/i

/** The plan, and the `version` the statement returned (writeOnce's read) for the next one. */
async function explain(client: pg.PoolClient, s: Statement, version: string | undefined): Promise<{ plan: string; version?: string }> {
  // Run twice (warm, then explained): an event id must be new each time. A write that names the
  // version read before it runs once: its first run would change the version.
  const warm = s.readVersion === undefined ? versionOf(await client.query(s.sql, replayParameters(s, version))) : undefined
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, replayParameters(s, version))
  return { plan: rows.map((r) => r['QUERY PLAN']).join('\n'), ...(warm !== undefined ? { version: warm } : {}) }
}

/** The request a scenario's plan is shown for: its first one on the big provider. */
const representative = (operations: Operation[], big: string) => operations.find((o) => o.providerId === big) ?? operations[0]!

const pgVersion = await withAdmin(base, async (admin) => (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v)
const meta = await datasetMeta(join(BENCH_DIR, 'data'), tickets, seed)
const pool = await openReplayPool(build, url, 1)
mkdirSync(outDir, { recursive: true })
try {
  const client = await pool.connect()
  try {
    for (const scenario of (values.scenario ?? SCENARIO_NAMES).filter((name) => name !== 'mixed' && !LIFECYCLE_SCENARIOS.includes(name))) {
      const operation = representative(buildOperations(scenario, meta, seed), meta.providers[0]!.id)
      const [plan] = await recordPlans(build, url, [operation])
      const parts = [
        `# ${scenario}: ${describeScenario(scenario)}`,
        `# server: ${build.label}; database ${database}: ${tickets} tickets (seed ${seed}); ${pgVersion}`,
        `# explained ${new Date().toISOString()}`,
        `# request: ${operation.method} ${operation.path}${operation.body ? ` ${operation.body}` : ''}`,
        `# ${plan!.sessions.length} connection(s) used side by side; statements of one connection run in order`,
        '',
      ]
      for (const [i, session] of plan!.sessions.entries()) {
        await client.query('BEGIN', [])
        try {
          let version: string | undefined
          for (const statement of session.filter((s) => !CONTROL.test(s.sql))) {
            const explained = await explain(client, statement, version)
            version = explained.version ?? version
            parts.push(
              `-- connection ${i + 1}`,
              statement.sql,
              `-- parameters: ${JSON.stringify(statement.parameters)}`,
              '',
              explained.plan,
              '',
            )
          }
        } finally {
          await client.query('ROLLBACK', [])
        }
      }
      writeFileSync(join(outDir, `${scenario}.txt`), parts.join('\n'))
      log(`wrote ${join('bench/explain', build.ref ?? '', `${scenario}.txt`)}`)
    }
  } finally {
    client.release()
  }
} finally {
  await pool.end()
}
