// WebhookDeliveryStore over Kysely (both stores): the dispatcher's claims on endpoints, and what
// each attempt leaves behind.
//
// A claim is a lease (owner, random token, expiry) taken with FOR UPDATE SKIP LOCKED: processes
// sharing one PostgreSQL never claim the same endpoint twice, and one that dies mid-attempt
// leaves a lease that simply expires. Every later write names the lease's token (and the state
// version the claim saw), so a process that lost its lease, or whose endpoint was recovered or
// re-pointed meanwhile, cannot write a stale outcome. The embedded store has one session, where
// SKIP LOCKED never has anything to skip.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from './database.js'
import { eventFeedSql } from './event-feed-sql.js'
import { logDeliveries, logDelivery } from './webhook-endpoints-sql.js'
import { FENCE } from './feed-fence.js'
import { ENDPOINT_COLUMNS, rowToEndpoint, type EndpointRow } from './webhook-rows.js'
import type { AttemptOutcome, WebhookDeliveryStore, WebhookLease } from './webhook-store.js'

const RETURNING = sql.raw(ENDPOINT_COLUMNS.map((column) => `w.${column}`).join(', '))

/** The statement's condition that the claim is still ours and the state is as the claim saw it. */
const held = (lease: WebhookLease) =>
  sql`id = ${lease.endpointId}::uuid AND lease_token = ${lease.token} AND state_version = ${lease.stateVersion}`

/** The txid of the event at `position` (kept as it was if the event is gone already). */
const txidOf = (position: string | null) =>
  position === null ? sql`NULL::xid8` : sql`COALESCE((SELECT e.txid FROM ticket_events e WHERE e.id = ${position}::text), cursor_txid)`

const cursorAt = (position: string | null) => sql`cursor_event_id = ${position}::text, cursor_txid = ${txidOf(position)}`

const releasing = (now: Date) => sql`lease_owner = NULL, lease_token = NULL, lease_expires_at = ${now.toISOString()}::timestamptz`

export function webhookDispatchSql(db: Db): WebhookDeliveryStore {
  return {
    async claimWebhookEndpoints({ owner, now, leaseMs, limit }) {
      const token = randomUUID()
      const at = now.toISOString()
      // Due: a retry whose time has come, or (not waiting) an event past the cursor below the
      // fence. Served longest ago first (lease_expires_at keeps the last release), so a busy
      // endpoint cannot starve the others when more are due than there are slots.
      const { rows } = await sql<EndpointRow & { lease_token: string }>`
        WITH due AS (
          SELECT w.id FROM webhook_endpoints w
          WHERE w.disabled_reason IS NULL
            AND (w.lease_token IS NULL OR w.lease_expires_at <= ${at}::timestamptz)
            AND (w.next_attempt_at <= ${at}::timestamptz OR (w.next_attempt_at IS NULL AND EXISTS (
              SELECT 1 FROM ticket_events e
              WHERE e.provider_id = w.provider_id AND e.txid < ${FENCE}
                AND (w.cursor_event_id IS NULL OR (e.txid, e.id) > (w.cursor_txid, w.cursor_event_id)))))
          ORDER BY w.lease_expires_at NULLS FIRST, w.id
          LIMIT ${limit}
          FOR UPDATE OF w SKIP LOCKED
        )
        UPDATE webhook_endpoints w
        SET lease_owner = ${owner}, lease_token = ${token}, lease_expires_at = ${new Date(now.getTime() + leaseMs).toISOString()}::timestamptz
        FROM due WHERE w.id = due.id
        RETURNING ${RETURNING}`.execute(db)
      return rows.map((row) => ({
        endpoint: rowToEndpoint(row),
        lease: { endpointId: row.id, token, stateVersion: row.state_version },
      }))
    },

    recordWebhookAttempt(lease: WebhookLease, outcome: AttemptOutcome, renewUntil: Date) {
      return db.transaction().execute(async (trx) => {
        const state =
          outcome.kind === 'delivered'
            ? sql`${cursorAt(outcome.position)}, attempt_event_id = NULL, attempt = 0, next_attempt_at = NULL,
                failing_since = NULL, lease_expires_at = ${renewUntil.toISOString()}::timestamptz`
            : sql`${cursorAt(outcome.position)}, attempt_event_id = ${outcome.delivery.eventId}::text, attempt = ${outcome.delivery.attempt},
                next_attempt_at = ${outcome.kind === 'failed' ? outcome.delivery.nextAttemptAt : null}::timestamptz,
                failing_since = COALESCE(failing_since, ${outcome.delivery.attemptedAt}::timestamptz),
                ${releasing(new Date(outcome.delivery.attemptedAt))}`
        const disabling =
          outcome.kind === 'disabled'
            ? sql`, disabled_reason = ${outcome.reason}, disabled_at = ${outcome.event.occurredAt}::timestamptz`
            : sql``
        // Disabling only an enabled endpoint: the provider may have disabled it meanwhile, and
        // then there is nothing to announce.
        const stillEnabled = outcome.kind === 'disabled' ? sql` AND disabled_reason IS NULL` : sql``
        const { rows } = await sql<{ enabled: boolean }>`
          UPDATE webhook_endpoints SET ${state}${disabling}
          WHERE ${held(lease)}${stillEnabled}
          RETURNING disabled_reason IS NULL AS enabled`.execute(trx)
        if (outcome.kind === 'delivered') await logDeliveries(trx, outcome.deliveries)
        else await logDelivery(trx, outcome.delivery)
        if (rows.length === 0) return false
        if (outcome.kind === 'disabled') await eventFeedSql(trx).appendProviderEvent(outcome.event)
        // Disabled by the provider while this turn ran: the delivery counts, the turn ends.
        return outcome.kind !== 'delivered' || rows[0]!.enabled
      })
    },

    async isWebhookLeaseCurrent(lease: WebhookLease) {
      const { rows } = await sql`SELECT 1 FROM webhook_endpoints WHERE ${held(lease)} AND disabled_reason IS NULL`.execute(db)
      return rows.length > 0
    },

    async releaseWebhookEndpoint(lease: WebhookLease, position: string | null, now: Date) {
      // The lease is given back regardless; the position is kept only while the state is as claimed.
      const unchanged = sql`state_version = ${lease.stateVersion}`
      await sql`
        UPDATE webhook_endpoints SET
          cursor_event_id = CASE WHEN ${unchanged} THEN ${position}::text ELSE cursor_event_id END,
          cursor_txid = CASE WHEN ${unchanged} THEN ${txidOf(position)} ELSE cursor_txid END,
          ${releasing(now)}
        WHERE id = ${lease.endpointId}::uuid AND lease_token = ${lease.token}`.execute(db)
    },

    async repositionWebhookCursor(lease: WebhookLease, now: Date) {
      await sql`
        UPDATE webhook_endpoints w SET (cursor_event_id, cursor_txid) = (
          SELECT p.id, p.txid FROM (SELECT 1) one LEFT JOIN LATERAL (
            SELECT e.id, e.txid FROM ticket_events e
            WHERE e.provider_id = w.provider_id AND (e.txid, e.id) <= (w.cursor_txid, w.cursor_event_id)
            ORDER BY e.txid DESC, e.id DESC LIMIT 1) p ON true),
          ${releasing(now)}
        WHERE ${held(lease)}`.execute(db)
    },

    async pruneWebhookDeliveries(before: Date) {
      const result = await db.deleteFrom('webhook_deliveries').where('attempted_at', '<', before.toISOString()).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
