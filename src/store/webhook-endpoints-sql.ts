// WebhookEndpointStore over Kysely (both stores): a provider's endpoints and their delivery log.
// Every statement is confined to the provider's own endpoints.
import { sql } from 'kysely'
import type { Db } from './database.js'
import type { Page } from './lifecycle-reads.js'
import type { ProviderScope } from './provider-scope.js'
import { ENDPOINT_COLUMNS, feedEnd, rowToDelivery, rowToEndpoint, type EndpointRow } from './webhook-rows.js'
import type {
  NewWebhookDelivery,
  NewWebhookEndpointRecord,
  WebhookEndpointChange,
  WebhookEndpointRecord,
  WebhookEndpointStore,
} from './webhook-store.js'

const RETURNING = sql.raw(ENDPOINT_COLUMNS.join(', '))

/** Serializes creates per provider, so that the endpoint limit holds under concurrent requests. */
const CREATE_LOCK_SEED = 7_212_734_009

export function webhookEndpointsSql(db: Db): WebhookEndpointStore {
  const findOwn = (scope: ProviderScope, id: string) =>
    db.selectFrom('webhook_endpoints').select(ENDPOINT_COLUMNS).where('id', '=', id).where('provider_id', '=', scope.providerId)

  return {
    async createWebhookEndpoint(endpoint: NewWebhookEndpointRecord, maxPerProvider: number) {
      return db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtextextended(${endpoint.providerId}::text, ${CREATE_LOCK_SEED}))`.execute(trx)
        const { n } = await trx
          .selectFrom('webhook_endpoints')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('provider_id', '=', endpoint.providerId)
          .executeTakeFirstOrThrow()
        if (Number(n) >= maxPerProvider) return 'limit-reached' as const
        const now = endpoint.now.toISOString()
        // Starts at the feed's end: the endpoint receives the events that come after its creation.
        const { rows } = await sql<EndpointRow>`
          INSERT INTO webhook_endpoints (id, provider_id, url, description, event_types, secret, secret_encrypted,
            created_at, updated_at, cursor_event_id, cursor_txid)
          SELECT ${endpoint.id}::uuid, ${endpoint.providerId}::uuid, ${endpoint.url}, ${endpoint.description},
            ${endpoint.eventTypes}::text[], ${endpoint.secret.value}, ${endpoint.secret.encrypted},
            ${now}::timestamptz, ${now}::timestamptz, last.id, last.txid
          FROM (SELECT 1) one LEFT JOIN LATERAL ${feedEnd(endpoint.providerId)} last ON true
          RETURNING ${RETURNING}`.execute(trx)
        return rowToEndpoint(rows[0]!)
      })
    },

    async listWebhookEndpoints(scope: ProviderScope, page: Page) {
      const query = db.selectFrom('webhook_endpoints').where('provider_id', '=', scope.providerId)
      const [rows, count] = await Promise.all([
        query.select(ENDPOINT_COLUMNS).orderBy('created_at').orderBy('id').limit(page.limit).offset(Number(page.offset)).execute(),
        query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
      ])
      return { result: rows.map(rowToEndpoint), total: Number(count.n) }
    },

    async getWebhookEndpoint(scope: ProviderScope, id: string) {
      const row = await findOwn(scope, id).executeTakeFirst()
      return row && rowToEndpoint(row)
    },

    updateWebhookEndpoint: (scope, id, change) => updateEndpoint(db, scope, id, change),

    async deleteWebhookEndpoint(scope: ProviderScope, id: string) {
      const result = await db
        .deleteFrom('webhook_endpoints')
        .where('id', '=', id)
        .where('provider_id', '=', scope.providerId)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },

    async rotateWebhookSecret(scope, id, rotation) {
      const row = await db
        .updateTable('webhook_endpoints')
        .set((eb) => ({
          previous_secret: eb.ref('secret'),
          previous_secret_encrypted: eb.ref('secret_encrypted'),
          previous_secret_expires_at: rotation.previousExpiresAt.toISOString(),
          secret: rotation.secret.value,
          secret_encrypted: rotation.secret.encrypted,
          updated_at: rotation.now.toISOString(),
        }))
        .where('id', '=', id)
        .where('provider_id', '=', scope.providerId)
        .returning(ENDPOINT_COLUMNS)
        .executeTakeFirst()
      return row && rowToEndpoint(row)
    },

    recoverWebhookEndpoint: (scope, id, since) => recoverEndpoint(db, scope, id, since),

    async listWebhookDeliveries(scope: ProviderScope, id: string, query: Page & { eventId?: string }) {
      if (!(await findOwn(scope, id).executeTakeFirst())) return undefined
      let deliveries = db.selectFrom('webhook_deliveries').where('endpoint_id', '=', id)
      if (query.eventId !== undefined) deliveries = deliveries.where('event_id', '=', query.eventId)
      const [rows, count] = await Promise.all([
        deliveries
          .selectAll()
          .orderBy('attempted_at', 'desc')
          .orderBy('id', 'desc')
          .limit(query.limit)
          .offset(Number(query.offset))
          .execute(),
        deliveries.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
      ])
      return { result: rows.map(rowToDelivery), total: Number(count.n) }
    },

    logWebhookDelivery: (delivery) => logDelivery(db, delivery),
  }
}

/** Inserts the attempt unless its endpoint is gone (deleted while the attempt ran). */
export async function logDelivery(db: Db, delivery: NewWebhookDelivery) {
  const { rows } = await sql<Parameters<typeof rowToDelivery>[0]>`
    INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, attempt, attempted_at, response_status, duration_ms,
      error, succeeded, next_attempt_at)
    SELECT ${delivery.endpointId}::uuid, ${delivery.eventId}, ${delivery.eventType}, ${delivery.attempt},
      ${delivery.attemptedAt}::timestamptz, ${delivery.responseStatus}::integer, ${delivery.durationMs}, ${delivery.error}::text,
      ${delivery.succeeded}, ${delivery.nextAttemptAt}::timestamptz
    WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ${delivery.endpointId}::uuid)
    RETURNING *`.execute(db)
  return rows[0] && rowToDelivery(rows[0])
}

/**
 * Logs several attempts in one statement (the dispatcher records a run of successful
 * deliveries at once). Nothing is logged for an endpoint deleted meanwhile.
 */
export async function logDeliveries(db: Db, deliveries: readonly NewWebhookDelivery[]): Promise<void> {
  if (deliveries.length === 0) return
  const column = <T>(pick: (delivery: NewWebhookDelivery) => T) => deliveries.map(pick)
  await sql`
    INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, attempt, attempted_at, response_status, duration_ms,
      error, succeeded, next_attempt_at)
    SELECT d.endpoint_id, d.event_id, d.event_type, d.attempt, d.attempted_at, d.response_status, d.duration_ms, d.error,
      d.succeeded, d.next_attempt_at
    FROM unnest(
      ${column((d) => d.endpointId)}::uuid[], ${column((d) => d.eventId)}::text[], ${column((d) => d.eventType)}::text[],
      ${column((d) => d.attempt)}::integer[], ${column((d) => d.attemptedAt)}::timestamptz[],
      ${column((d) => d.responseStatus)}::integer[], ${column((d) => d.durationMs)}::integer[], ${column((d) => d.error)}::text[],
      ${column((d) => d.succeeded)}::boolean[], ${column((d) => d.nextAttemptAt)}::timestamptz[]
    ) WITH ORDINALITY AS d(endpoint_id, event_id, event_type, attempt, attempted_at, response_status, duration_ms, error, succeeded,
      next_attempt_at, n)
    WHERE EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = d.endpoint_id)
    -- In the order given: the log's ids (its tie-breaker) follow the order of the attempts.
    ORDER BY d.n`.execute(db)
}

async function updateEndpoint(
  db: Db,
  scope: ProviderScope,
  id: string,
  change: WebhookEndpointChange,
): Promise<WebhookEndpointRecord | undefined> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('webhook_endpoints')
      .select(['disabled_reason', 'attempt_event_id'])
      .where('id', '=', id)
      .where('provider_id', '=', scope.providerId)
      .forUpdate()
      .executeTakeFirst()
    if (!current) return undefined
    const now = change.now.toISOString()
    const set: Record<string, unknown> = { updated_at: now }
    if (change.url !== undefined) set.url = change.url
    if (change.description !== undefined) set.description = change.description
    if (change.eventTypes !== undefined) set.event_types = change.eventTypes
    const restarts = sql`attempt_event_id = NULL, attempt = 0, next_attempt_at = NULL, failing_since = NULL, state_version = state_version + 1`
    let state = sql``
    if (change.disabledReason === null && current.disabled_reason !== null) {
      // Re-enabled: from the feed's end, like a new endpoint; what happened meanwhile is for recover.
      Object.assign(set, { disabled_reason: null, disabled_at: null })
      state = sql`, (cursor_event_id, cursor_txid) = (SELECT last.id, last.txid FROM (SELECT 1) one
        LEFT JOIN LATERAL ${feedEnd(scope.providerId)} last ON true), ${restarts}`
    } else if (typeof change.disabledReason === 'string' && current.disabled_reason === null) {
      Object.assign(set, { disabled_reason: change.disabledReason, disabled_at: now })
    } else if (change.url !== undefined && current.attempt_event_id !== null) {
      // A new address deserves a prompt try: the waiting event goes at once, its schedule afresh.
      state = sql`, attempt = 0, next_attempt_at = ${now}::timestamptz, failing_since = NULL, state_version = state_version + 1`
    }
    const assignments = Object.entries(set).map(([column, value]) =>
      column === 'event_types' ? sql`event_types = ${value}::text[]` : sql`${sql.ref(column)} = ${value}`,
    )
    const { rows } = await sql<EndpointRow>`
      UPDATE webhook_endpoints SET ${sql.join(assignments)}${state}
      WHERE id = ${id}::uuid RETURNING ${RETURNING}`.execute(trx)
    return rowToEndpoint(rows[0]!)
  })
}

/** (txid, id) comparison of two feed positions; txids are decimal strings of 64-bit values. */
function isBefore(a: { txid: string; id: string }, b: { txid: string; id: string }): boolean {
  const [ta, tb] = [BigInt(a.txid), BigInt(b.txid)]
  return ta < tb || (ta === tb && a.id < b.id)
}

async function recoverEndpoint(db: Db, scope: ProviderScope, id: string, since: string): Promise<WebhookEndpointRecord | undefined> {
  return db.transaction().execute(async (trx) => {
    const { rows: current } = await sql<{ id: string | null; txid: string | null }>`
      SELECT cursor_event_id AS id, cursor_txid::text AS txid FROM webhook_endpoints
      WHERE id = ${id}::uuid AND provider_id = ${scope.providerId}::uuid FOR UPDATE`.execute(trx)
    if (current.length === 0) return undefined
    const cursor = current[0]!
    // The first event in feed order that occurred at or after `since`, and the position just before it.
    const { rows: first } = await sql<{ id: string; txid: string }>`
      SELECT id, txid::text AS txid FROM ticket_events
      WHERE provider_id = ${scope.providerId}::uuid AND occurred_at >= ${since}::timestamptz
      ORDER BY txid, id LIMIT 1`.execute(trx)
    let moveTo: { id: string | null; txid: string | null } | undefined
    if (first[0] && cursor.id !== null && cursor.txid !== null) {
      const { rows: before } = await sql<{ id: string; txid: string }>`
        SELECT id, txid::text AS txid FROM ticket_events
        WHERE provider_id = ${scope.providerId}::uuid AND (txid, id) < (${first[0].txid}::xid8, ${first[0].id}::text)
        ORDER BY txid DESC, id DESC LIMIT 1`.execute(trx)
      const target = before[0]
      // Only ever back: an endpoint that has not reached `since` yet keeps its place.
      if (!target) moveTo = { id: null, txid: null }
      else if (isBefore(target, { id: cursor.id, txid: cursor.txid })) moveTo = target
    }
    const position = moveTo ? sql`cursor_event_id = ${moveTo.id}::text, cursor_txid = ${moveTo.txid}::xid8, ` : sql``
    const { rows } = await sql<EndpointRow>`
      UPDATE webhook_endpoints SET ${position}attempt_event_id = NULL, attempt = 0, next_attempt_at = NULL,
        state_version = state_version + 1
      WHERE id = ${id}::uuid RETURNING ${RETURNING}`.execute(trx)
    return rowToEndpoint(rows[0]!)
  })
}
