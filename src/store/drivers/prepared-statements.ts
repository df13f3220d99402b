// Statements a server runs on nearly every request (a ticket by id, the read before a PATCH)
// are prepared: PostgreSQL parses and plans each once per connection instead of on every
// execution, and the service skips building and compiling the query each time. Only statements
// registered here are prepared, by name, so the set stays small and fixed: list queries, whose
// text varies with their filters and whose best plan depends on the provider, stay unprepared.
// (A transaction-pooling proxy such as PgBouncer before 1.21 does not keep prepared statements;
// this service talks to PostgreSQL directly.)
import { createHash } from 'node:crypto'
import { CompiledQuery, type Compilable } from 'kysely'

const names = new Map<string, string>()

/** The name a registered statement is prepared under; undefined for every other statement. */
export const preparedNameOf = (text: string): string | undefined => names.get(text)

/**
 * Registers the query (built once, with placeholder values) and returns how to run it with real
 * ones: the same SQL text, which the pg driver sends as a named, prepared statement.
 */
export function preparedStatement<Row>(query: Compilable<Row>): (...parameters: unknown[]) => CompiledQuery<Row> {
  const { sql } = query.compile()
  // Named by its text: the same statement gets the same name in every pool and process.
  if (!names.has(sql)) names.set(sql, `tickets_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`)
  return (...parameters) => CompiledQuery.raw(sql, parameters) as CompiledQuery<Row>
}
