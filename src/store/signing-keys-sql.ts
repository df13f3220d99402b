// SigningKeyStore over Kysely (both stores): one small table, read whole on every reload.
import { sql, type Selectable } from 'kysely'
import type { Db, SigningKeysTable } from './database.js'
import type { NewSigningKey, SigningKeyStore, StoredSigningKey } from './signing-key-store.js'
import { timestampToRfc3339 } from './ticket-row.js'

// Serializes rotations from several processes (the partial unique index would refuse a race).
const ROTATION_LOCK = 7_212_734_006

function rowToKey(row: Selectable<SigningKeysTable>): StoredSigningKey {
  return {
    kid: row.kid,
    secret: row.secret,
    encrypted: row.encrypted,
    createdAt: timestampToRfc3339(row.created_at),
    retiresAt: row.retires_at === null ? null : timestampToRfc3339(row.retires_at),
  }
}

const selectKeys = (db: Db) => db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute()

export async function listSigningKeys(db: Db, first?: () => NewSigningKey): Promise<StoredSigningKey[]> {
  let rows = await selectKeys(db)
  if (rows.length === 0 && first) {
    const key = first()
    // Only into an empty table; a concurrent first insert wins and this one does nothing.
    await sql`INSERT INTO signing_keys (kid, secret, encrypted)
      SELECT ${key.kid}::text, ${key.secret}::text, ${key.encrypted}::boolean
      WHERE NOT EXISTS (SELECT 1 FROM signing_keys)
      ON CONFLICT DO NOTHING`.execute(db)
    rows = await selectKeys(db)
  }
  return rows.map(rowToKey)
}

export async function rotateSigningKey(
  db: Db,
  key: NewSigningKey,
  options: { now: Date; retiresAt: Date },
): Promise<{ previous: string | undefined; pruned: string[] }> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${ROTATION_LOCK})`.execute(trx)
    const pruned = await trx.deleteFrom('signing_keys').where('retires_at', '<=', options.now.toISOString()).returning('kid').execute()
    const previous = await trx
      .updateTable('signing_keys')
      .set({ retires_at: options.retiresAt.toISOString() })
      .where('retires_at', 'is', null)
      .returning('kid')
      .executeTakeFirst()
    await trx
      .insertInto('signing_keys')
      .values({ kid: key.kid, secret: key.secret, encrypted: key.encrypted, created_at: options.now.toISOString(), retires_at: null })
      .execute()
    return { previous: previous?.kid, pruned: pruned.map((row) => row.kid).sort() }
  })
}

export function signingKeysSql(db: Db): SigningKeyStore {
  return {
    listSigningKeys: (first) => listSigningKeys(db, first),
    rotateSigningKey: (key, options) => rotateSigningKey(db, key, options),
  }
}
