// Exact ticket counts maintained in the same transaction as every write, so that `total` for
// the filters partners actually poll with costs the same whatever the number of matches:
//   ticket_counts                 (provider, state, processed)            → no filter, state, externally_processed
//   ticket_counts_by_customer     (provider, customer, state, processed)  → customer_id
//   ticket_counts_by_created_day  (provider, state, processed, UTC day)   → created_after / created_before
//   ticket_counts_by_updated_day  (provider, state, processed, UTC day)   → updated_after / updated_before
// Statement-level triggers fold each statement's transition tables into per-key deltas, so a
// bulk import costs one upsert per key, not per row. Deltas are applied in key order, so
// concurrent writers lock counter rows in the same order and cannot deadlock.
export const name = 'ticket-counts'

const day = (column: string) => `(${column} AT TIME ZONE 'UTC')::date`

export interface CountTable {
  table: string
  key: Array<[column: string, type: string, expression: string]>
}

export const TABLES: CountTable[] = [
  {
    table: 'ticket_counts',
    key: [
      ['provider_id', 'uuid', 'provider_id'],
      ['state', 'ticket_state', 'state'],
      ['externally_processed', 'boolean', 'externally_processed'],
    ],
  },
  {
    table: 'ticket_counts_by_customer',
    key: [
      ['provider_id', 'uuid', 'provider_id'],
      ['customer_id', 'uuid', 'customer_id'],
      ['state', 'ticket_state', 'state'],
      ['externally_processed', 'boolean', 'externally_processed'],
    ],
  },
  {
    table: 'ticket_counts_by_created_day',
    key: [
      ['provider_id', 'uuid', 'provider_id'],
      ['state', 'ticket_state', 'state'],
      ['externally_processed', 'boolean', 'externally_processed'],
      ['day', 'date', day('created_at')],
    ],
  },
  {
    table: 'ticket_counts_by_updated_day',
    key: [
      ['provider_id', 'uuid', 'provider_id'],
      ['state', 'ticket_state', 'state'],
      ['externally_processed', 'boolean', 'externally_processed'],
      ['day', 'date', day('updated_at')],
    ],
  },
]

function createTable({ table, key }: CountTable): string {
  // Tickets without a customer are simply not counted by customer (customer_id IS NULL never
  // matches a customer_id filter).
  const columns = key.map(([column, type]) => `${column} ${type} NOT NULL`).join(', ')
  return `CREATE TABLE ${table} (${columns}, n bigint NOT NULL, PRIMARY KEY (${key.map(([c]) => c).join(', ')}));`
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
  return `INSERT INTO ${table} (${columns}, n)
      SELECT ${columns}, sum(d) FROM (${selects}) delta GROUP BY ${columns} HAVING sum(d) <> 0 ORDER BY ${columns}
      ON CONFLICT (${columns}) DO UPDATE SET n = ${table}.n + excluded.n;`
}

function triggerFunction(operation: 'insert' | 'update' | 'delete'): string {
  const sources: Array<['new_rows' | 'old_rows', 1 | -1]> =
    operation === 'insert'
      ? [['new_rows', 1]]
      : operation === 'delete'
        ? [['old_rows', -1]]
        : [
            ['old_rows', -1],
            ['new_rows', 1],
          ]
  const referencing =
    operation === 'insert'
      ? 'NEW TABLE AS new_rows'
      : operation === 'delete'
        ? 'OLD TABLE AS old_rows'
        : 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
  return `
CREATE FUNCTION tickets_count_${operation}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  ${TABLES.map((table) => applyDelta(table, sources)).join('\n  ')}
  RETURN NULL;
END $$;
CREATE TRIGGER tickets_count_${operation} AFTER ${operation.toUpperCase()} ON tickets
  REFERENCING ${referencing} FOR EACH STATEMENT EXECUTE FUNCTION tickets_count_${operation}();`
}

function backfill({ table, key }: CountTable): string {
  const columns = key.map(([column]) => column).join(', ')
  const expressions = key.map(([column, , expression]) => `${expression} AS ${column}`).join(', ')
  const where = table === 'ticket_counts_by_customer' ? ' WHERE customer_id IS NOT NULL' : ''
  return `INSERT INTO ${table} (${columns}, n) SELECT ${columns}, count(*) FROM (SELECT ${expressions} FROM tickets${where}) t GROUP BY ${columns};`
}

export const up = [
  ...TABLES.map(createTable),
  triggerFunction('insert'),
  triggerFunction('update'),
  triggerFunction('delete'),
  // TRUNCATE would bypass the row triggers above: forbid it rather than let counts drift.
  `CREATE FUNCTION tickets_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN RAISE EXCEPTION 'TRUNCATE tickets would desynchronise ticket counts; use DELETE'; END $$;
   CREATE TRIGGER tickets_refuse_truncate BEFORE TRUNCATE ON tickets FOR EACH STATEMENT EXECUTE FUNCTION tickets_refuse_truncate();`,
  ...TABLES.map(backfill),
].join('\n')
