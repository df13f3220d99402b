// Tickets, API clients and token signing keys. The CHECK constraints are the seed's
// invariants; the import validates the same rules first so it can name the offending line.
export const name = 'initial'

export const up = /* sql */ `
CREATE TYPE ticket_state AS ENUM ('prepared', 'pending', 'in_progress', 'outsourced', 'closed', 'cancelled');

CREATE TABLE tickets (
  id                    uuid PRIMARY KEY,
  provider_id           uuid NOT NULL,
  assigned_at           timestamptz,
  cancel_reason_id      integer,
  connection_id         uuid,
  created_at            timestamptz NOT NULL,
  customer_channel_id   uuid,
  customer_connector_id uuid,
  customer_id           uuid,
  customer_reference    text NOT NULL DEFAULT '',
  external_reference    text NOT NULL DEFAULT '',
  externally_processed  boolean NOT NULL DEFAULT false,
  finished_at           timestamptz,
  operator_channel_id   uuid,
  operator_id           uuid,
  operator_reference    text NOT NULL DEFAULT '',
  outsourced            boolean NOT NULL DEFAULT false,
  source_provider_id    uuid NOT NULL,
  state                 ticket_state NOT NULL,
  ticket_number         bigint NOT NULL,
  updated_at            timestamptz NOT NULL,
  vehicle_model_id      bigint NOT NULL,
  vin                   text,
  voucher_code          text,
  CONSTRAINT tickets_ticket_number_unique UNIQUE (ticket_number),
  CONSTRAINT tickets_customer_reference_length CHECK (char_length(customer_reference) <= 255),
  CONSTRAINT tickets_operator_reference_length CHECK (char_length(operator_reference) <= 255),
  CONSTRAINT tickets_external_reference_length CHECK (char_length(external_reference) <= 255),
  CONSTRAINT tickets_vin_length CHECK (vin IS NULL OR char_length(vin) = 17),
  CONSTRAINT tickets_vin_unless_prepared CHECK (vin IS NOT NULL OR state = 'prepared'),
  CONSTRAINT tickets_cancel_reason_iff_cancelled CHECK ((cancel_reason_id IS NOT NULL) = (state = 'cancelled')),
  CONSTRAINT tickets_finished_iff_done CHECK ((finished_at IS NOT NULL) = (state IN ('closed', 'cancelled'))),
  CONSTRAINT tickets_no_customer_channel_while_prepared CHECK (state <> 'prepared' OR customer_channel_id IS NULL),
  CONSTRAINT tickets_operator_while_in_progress
    CHECK (state <> 'in_progress' OR (operator_id IS NOT NULL AND assigned_at IS NOT NULL)),
  CONSTRAINT tickets_outsourced_state_sets_flag CHECK (state <> 'outsourced' OR outsourced),
  CONSTRAINT tickets_updated_not_before_created CHECK (updated_at >= created_at)
);

-- Every index leads with provider_id: each query is scoped to one provider. Sort indexes end
-- in id because ORDER BY always ends in id (stable offset pages).
CREATE INDEX tickets_by_created   ON tickets (provider_id, created_at, id);
CREATE INDEX tickets_by_updated   ON tickets (provider_id, updated_at, id);
CREATE INDEX tickets_by_assigned  ON tickets (provider_id, assigned_at, id);
CREATE INDEX tickets_by_finished  ON tickets (provider_id, finished_at, id);
CREATE INDEX tickets_by_number    ON tickets (provider_id, ticket_number);
CREATE INDEX tickets_by_state     ON tickets (provider_id, state, created_at, id);
-- The partner poll: state=closed&externally_processed=false, newest first.
CREATE INDEX tickets_by_processed ON tickets (provider_id, externally_processed, state, created_at, id);
CREATE INDEX tickets_by_customer  ON tickets (provider_id, customer_id, created_at, id);
CREATE INDEX tickets_by_connector ON tickets (provider_id, customer_connector_id, created_at, id);
CREATE INDEX tickets_by_operator  ON tickets (provider_id, operator_id, created_at, id);
CREATE INDEX tickets_by_source    ON tickets (provider_id, source_provider_id, created_at, id);
CREATE INDEX tickets_by_model     ON tickets (provider_id, vehicle_model_id, created_at, id);
CREATE INDEX tickets_by_vin       ON tickets (provider_id, vin, created_at, id);
CREATE INDEX tickets_by_voucher   ON tickets (provider_id, voucher_code, created_at, id) WHERE voucher_code IS NOT NULL;
CREATE INDEX tickets_by_reference ON tickets (provider_id, external_reference, created_at, id);
CREATE INDEX tickets_by_cancel    ON tickets (provider_id, cancel_reason_id, created_at, id) WHERE cancel_reason_id IS NOT NULL;

CREATE TABLE api_clients (
  client_id   text PRIMARY KEY,
  provider_id uuid NOT NULL,
  name        text NOT NULL,
  secret_hash text NOT NULL,
  scopes      text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  CONSTRAINT api_clients_scopes_known CHECK (scopes <@ ARRAY['tickets:read', 'tickets:write']::text[])
);

-- Token signing keys live in the database so that every server process on the same store
-- accepts the same tokens, and tokens survive a restart.
CREATE TABLE signing_keys (
  kid        text PRIMARY KEY,
  secret     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`
