// Counters that concurrent writers do not queue on. Migration 0002 keeps one counter row per
// key (provider, state, processed, …), so every write of a busy provider updated the same few
// rows (today's, in the states tickets move through) and waited for the previous writer to
// commit: a provider's writes ran one at a time, however many connections served them.
// Each key now has up to SHARDS rows; a transaction adds its delta to the row of its own
// connection's shard, and readers, which already sum(n) over matching rows, sum the shards
// too. Rows written before (and every bulk import, one connection) stay in shard 0.
import { TABLES, type CountTable } from './0002-ticket-counts.js'

export const name = 'sharded-counts'

/** Enough to keep a pool of 16 connections mostly apart; a reader sums at most this many rows per key. */
export const SHARDS = 16

const SHARD = `(pg_backend_pid() % ${SHARDS})::smallint`

function addShard({ table, key }: CountTable): string {
  const columns = [...key.map(([column]) => column), 'shard'].join(', ')
  return `ALTER TABLE ${table} ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD PRIMARY KEY (${columns});`
}

function applyDelta({ table, key }: CountTable, sources: Array<['new_rows' | 'old_rows', 1 | -1]>): string {
  const columns = key.map(([column]) => column).join(', ')
  const selects = sources
    .map(
      ([rows, sign]) =>
        `SELECT ${key.map(([column, , expression]) => `${expression} AS ${column}`).join(', ')}, ${sign} AS d FROM ${rows}` +
        (table === 'ticket_counts_by_customer' ? ' WHERE customer_id IS NOT NULL' : ''),
    )
    .join(' UNION ALL ')
  // Key order, as before: writers that share a shard still lock its rows in one order.
  return `INSERT INTO ${table} (${columns}, shard, n)
      SELECT ${columns}, ${SHARD}, sum(d) FROM (${selects}) delta GROUP BY ${columns} HAVING sum(d) <> 0 ORDER BY ${columns}
      ON CONFLICT (${columns}, shard) DO UPDATE SET n = ${table}.n + excluded.n;`
}

function replaceTriggerFunction(operation: 'insert' | 'update' | 'delete'): string {
  const sources: Array<['new_rows' | 'old_rows', 1 | -1]> =
    operation === 'insert'
      ? [['new_rows', 1]]
      : operation === 'delete'
        ? [['old_rows', -1]]
        : [
            ['old_rows', -1],
            ['new_rows', 1],
          ]
  return `
CREATE OR REPLACE FUNCTION tickets_count_${operation}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  ${TABLES.map((table) => applyDelta(table, sources)).join('\n  ')}
  RETURN NULL;
END $$;`
}

export const up = [
  ...TABLES.map(addShard),
  replaceTriggerFunction('insert'),
  replaceTriggerFunction('update'),
  replaceTriggerFunction('delete'),
].join('\n')
