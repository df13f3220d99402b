// Kysely table types: the rows as the drivers return them (int8 and timestamptz as text).
// These never leave src/store; the rest of the service sees only the contract types.
import { Kysely, PostgresDialect, type Generated } from 'kysely'
import type { TicketState } from '../contract/ticket.js'
import type { Pool } from './drivers/pool.js'

export interface TicketsTable {
  id: string
  provider_id: string
  assigned_at: string | null
  cancel_reason_id: number | null
  connection_id: string | null
  created_at: string
  customer_channel_id: string | null
  customer_connector_id: string | null
  customer_id: string | null
  customer_reference: string
  external_reference: string
  externally_processed: boolean
  finished_at: string | null
  operator_channel_id: string | null
  operator_id: string | null
  operator_reference: string
  outsourced: boolean
  source_provider_id: string
  state: TicketState
  ticket_number: string
  updated_at: string
  vehicle_model_id: string
  vin: string | null
  voucher_code: string | null
  /** The ticket's wire JSON, maintained by a trigger (migration 0005). */
  doc: Generated<string>
  /** Lifecycle fields beyond the wire Ticket (migration 0007). */
  preparer_external_reference: Generated<string>
  service_started_at: string | null
  vehicle_battery_voltage: '12v' | '24v' | null
  parent_ticket_id: string | null
  parent_ticket_number: string | null
  /** The newest event's id (NULL for tickets only ever imported). */
  last_event_id: string | null
}

export interface CancelReasonsTable {
  id: Generated<string>
  name: string
  allows_ticket_reopening: boolean
  customer_fault: boolean
  manually_applicable: boolean
  system_use: 'reclaim' | 'automatic' | null
}

export interface ProviderPartnershipsTable {
  provider_id: string
  partner_id: string
  created_at: Generated<string>
}

export interface OutsourcesTable {
  id: string
  provider_id: string
  ticket_id: string
  partner_provider_id: string
  partner_ticket_id: string
  state: 'pending' | 'in_progress' | 'closed' | 'cancelled'
  ticket_number: string
  assigned_at: string | null
  cancel_reason_id: number | null
  created_at: string
  finished_at: string | null
  operator_channel_id: string
}

export interface TicketEventsTable {
  id: string
  provider_id: string
  /** Null for the provider's own events (a webhook endpoint disabled). */
  ticket_id: string | null
  type: string
  occurred_at: string
  doc: string
  txid: Generated<string>
}

export interface IdempotencyKeysTable {
  client_id: string
  key: string
  request_hash: string
  status: number
  location: string | null
  body: string
  created_at: string
}

export interface ApiClientsTable {
  client_id: string
  provider_id: string
  name: string
  secret_hash: string
  scopes: string[]
  created_at: Generated<string>
  revoked_at: string | null
}

export interface SigningKeysTable {
  kid: string
  /** The secret, or its ciphertext when `encrypted` (migration 0006). */
  secret: string
  created_at: Generated<string>
  /** NULL for the current (signing) key; otherwise when it stops verifying. */
  retires_at: string | null
  encrypted: Generated<boolean>
}

export interface WebhookEndpointsTable {
  id: string
  provider_id: string
  url: string
  description: string
  event_types: string[]
  /** The signing secret, or its ciphertext when `secret_encrypted` (migration 0010). */
  secret: string
  secret_encrypted: boolean
  previous_secret: string | null
  previous_secret_encrypted: boolean | null
  previous_secret_expires_at: string | null
  /** NULL while enabled. */
  disabled_reason: string | null
  disabled_at: string | null
  created_at: string
  updated_at: string
  cursor_event_id: string | null
  cursor_txid: string | null
  attempt_event_id: string | null
  attempt: Generated<number>
  next_attempt_at: string | null
  failing_since: string | null
  state_version: Generated<number>
  lease_owner: string | null
  lease_token: string | null
  lease_expires_at: string | null
}

export interface WebhookDeliveriesTable {
  id: Generated<string>
  endpoint_id: string
  event_id: string
  event_type: string
  attempt: number
  attempted_at: string
  response_status: number | null
  duration_ms: number
  error: string | null
  succeeded: boolean
  next_attempt_at: string | null
}

export interface SchemaMigrationsTable {
  version: number
  name: string
  applied_at: Generated<string>
}

export interface Database {
  tickets: TicketsTable
  api_clients: ApiClientsTable
  signing_keys: SigningKeysTable
  schema_migrations: SchemaMigrationsTable
  cancel_reasons: CancelReasonsTable
  provider_partnerships: ProviderPartnershipsTable
  outsources: OutsourcesTable
  ticket_events: TicketEventsTable
  idempotency_keys: IdempotencyKeysTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_deliveries: WebhookDeliveriesTable
}

export type Db = Kysely<Database>

export function createDb(pool: Pool): Db {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as never }) })
}
