// A bulk import computes the stored documents (`doc`, migration 0005) in its upsert, as one
// expression over the staged rows, instead of calling the row trigger a million times: the
// trigger's PL/pgSQL call per row was most of its cost (about 2.8 µs of the upsert's 5.5 per
// row on the bench machine, against 1.6 µs for the same expression in the statement).
//
// The expression is read from the trigger function the database has, not written again here,
// so the document has one definition (whatever the latest migration made it). If that function
// is not the single assignment this expects, the import keeps the trigger: slower, never wrong.
import { sql, type RawBuilder, type Transaction } from 'kysely'
import type { Database } from './database.js'

const TRIGGER = 'tickets_document'
/** `BEGIN NEW.doc := <expression>; RETURN NEW; END`, the whole body of the trigger function. */
const SINGLE_ASSIGNMENT = /^\s*BEGIN\s+NEW\.doc\s*:=\s*([\s\S]+?);\s*RETURN\s+NEW;\s*END;?\s*$/i

export interface BulkDocuments {
  /** The document of the staged row aliased `alias`. */
  expression(alias: string): RawBuilder<string>
  /** Turns the trigger back on (before commit: every later write keeps its document current). */
  restore(): Promise<void>
}

/**
 * Disables the document trigger for this transaction and returns its expression, or undefined
 * (trigger left on) when the function is not the expected shape. Disabling a trigger locks the
 * table against writes until commit: only bulk imports, which hold a stronger lock already, do it.
 */
export async function takeOverDocuments(trx: Transaction<Database>): Promise<BulkDocuments | undefined> {
  const found = await sql<{ body: string; settings: string[] | null }>`
    SELECT p.prosrc AS body, p.proconfig AS settings
    FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE t.tgrelid = 'tickets'::regclass AND t.tgname = ${TRIGGER} AND t.tgenabled <> 'D'`.execute(trx)
  const match = found.rows[0] && SINGLE_ASSIGNMENT.exec(found.rows[0].body)
  if (!match) return undefined
  const expression = match[1]!
  // The function runs with its own settings (UTC, ISO dates): the statement needs the same.
  for (const setting of found.rows[0]!.settings ?? []) {
    const [name, ...value] = setting.split('=')
    await sql`SELECT set_config(${name}, ${value.join('=')}, true)`.execute(trx)
  }
  await sql`ALTER TABLE tickets DISABLE TRIGGER ${sql.ref(TRIGGER)}`.execute(trx)
  return {
    expression: (alias) => sql.raw(expression.replace(/\bNEW\./g, `${alias}.`)),
    restore: async () => void (await sql`ALTER TABLE tickets ENABLE TRIGGER ${sql.ref(TRIGGER)}`.execute(trx)),
  }
}
