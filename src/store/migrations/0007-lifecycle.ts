// Tickets that live: the platform's lifecycle (create, transitions, outsourcing between
// partnered providers), the cancel-reason catalogue, and a history of every change.
//
// The ticket_events table is designed for a provider-wide feed that never skips an event when
// writers commit out of order: every event records the id of the transaction that wrote it
// (`txid`, xid8). A reader that serves only events whose txid is below the oldest transaction
// still running (pg_snapshot_xmin of its snapshot) can never later find an event it should
// have served before, because every transaction below that horizon has finished. `id` is a
// ULID, increasing per ticket (each ticket's writers are serialized by its row lock).
export const name = 'lifecycle'

export const up = /* sql */ `
ALTER TABLE api_clients DROP CONSTRAINT api_clients_scopes_known;
ALTER TABLE api_clients ADD CONSTRAINT api_clients_scopes_known
  CHECK (scopes <@ ARRAY['tickets:read', 'tickets:write', 'tickets:manage']::text[]);

-- Fields the per-state collections show that the generic Ticket does not, and the link from a
-- partner's ticket to the ticket it was outsourced from (its events name it as parent_ticket).
-- Constant defaults: PostgreSQL adds these without rewriting the table.
ALTER TABLE tickets
  ADD COLUMN preparer_external_reference text NOT NULL DEFAULT '',
  ADD COLUMN service_started_at timestamptz,
  ADD COLUMN vehicle_battery_voltage text,
  ADD COLUMN parent_ticket_id uuid,
  ADD COLUMN parent_ticket_number bigint,
  -- The ticket's newest event id, on the row so that the locking read sees the value of the
  -- writer it waited for (a subquery of that read would use the snapshot from before the wait).
  ADD COLUMN last_event_id text COLLATE "C",
  ADD CONSTRAINT tickets_preparer_reference_length CHECK (char_length(preparer_external_reference) <= 255),
  ADD CONSTRAINT tickets_battery_voltage_known CHECK (vehicle_battery_voltage IN ('12v', '24v')),
  ADD CONSTRAINT tickets_parent_complete CHECK ((parent_ticket_id IS NULL) = (parent_ticket_number IS NULL));

-- Ticket numbers for created tickets: unique, increasing, never reused, and above every
-- imported number (the import moves the sequence past the highest number it loads).
CREATE SEQUENCE ticket_numbers AS bigint;
SELECT setval('ticket_numbers', greatest(coalesce((SELECT max(ticket_number) FROM tickets), 0), 1000000));

-- The catalogue. Tickets hold cancel_reason_id as int32, so ids stay in that range. The
-- platform's own reasons (system_use) are not manually applicable: reclaim and the automatic
-- cancel apply them. Reasons added later are numbered from 100 up (the store picks the next).
CREATE TABLE cancel_reasons (
  id                      bigint PRIMARY KEY,
  name                    text NOT NULL,
  allows_ticket_reopening boolean NOT NULL DEFAULT false,
  customer_fault          boolean NOT NULL DEFAULT false,
  manually_applicable     boolean NOT NULL DEFAULT true,
  system_use              text UNIQUE,
  CONSTRAINT cancel_reasons_id_int32 CHECK (id BETWEEN 1 AND 2147483647),
  CONSTRAINT cancel_reasons_name_length CHECK (char_length(name) BETWEEN 1 AND 255),
  CONSTRAINT cancel_reasons_system_use_known CHECK (system_use IN ('reclaim', 'automatic')),
  CONSTRAINT cancel_reasons_system_not_manual CHECK (system_use IS NULL OR NOT manually_applicable)
);
INSERT INTO cancel_reasons (id, name, allows_ticket_reopening, customer_fault, manually_applicable, system_use) VALUES
  (1, 'The customer did not respond.', true, true, true, NULL),
  (2, 'Cancelled at the customer''s request.', true, true, true, NULL),
  (3, 'The vehicle model is not supported.', false, false, true, NULL),
  (4, 'Operation too risky.', false, false, true, NULL),
  (5, 'The connector could not reach the vehicle.', true, false, true, NULL),
  (6, 'The vehicle battery voltage is too low.', true, true, true, NULL),
  (7, 'Duplicate ticket.', false, false, true, NULL),
  (8, 'The voucher was refused.', true, true, true, NULL),
  (90, 'Reclaimed by the provider that outsourced the ticket.', false, false, false, 'reclaim'),
  (91, 'Cancelled automatically: no operator joined in time.', true, false, false, 'automatic');

-- Partnerships are symmetric: one row per pair, the smaller id first.
CREATE TABLE provider_partnerships (
  provider_id uuid NOT NULL,
  partner_id  uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider_id, partner_id),
  CONSTRAINT provider_partnerships_ordered CHECK (provider_id < partner_id)
);

-- An outsource belongs to the provider that outsourced (provider_id); partner_provider_id is
-- the partner (the wire's provider_id). Its state follows the partner's ticket until it ends.
CREATE TABLE outsources (
  id                  uuid PRIMARY KEY,
  provider_id         uuid NOT NULL,
  ticket_id           uuid NOT NULL,
  partner_provider_id uuid NOT NULL,
  partner_ticket_id   uuid NOT NULL UNIQUE,
  state               ticket_state NOT NULL,
  ticket_number       bigint NOT NULL,
  assigned_at         timestamptz,
  cancel_reason_id    integer,
  created_at          timestamptz NOT NULL,
  finished_at         timestamptz,
  operator_channel_id uuid NOT NULL,
  CONSTRAINT outsources_state_known CHECK (state IN ('pending', 'in_progress', 'closed', 'cancelled')),
  CONSTRAINT outsources_cancel_reason_iff_cancelled CHECK ((cancel_reason_id IS NOT NULL) = (state = 'cancelled')),
  CONSTRAINT outsources_finished_iff_done CHECK ((finished_at IS NOT NULL) = (state IN ('closed', 'cancelled'))),
  CONSTRAINT outsources_to_another_provider CHECK (provider_id <> partner_provider_id)
);
-- A ticket is outsourced to at most one partner at a time.
CREATE UNIQUE INDEX outsources_one_active ON outsources (ticket_id) WHERE state IN ('pending', 'in_progress');
CREATE INDEX outsources_by_provider ON outsources (provider_id, created_at, id);
CREATE INDEX outsources_by_ticket ON outsources (provider_id, ticket_id, created_at, id);

-- The history. doc is the event as the API sends it; txid makes the provider-wide feed safe
-- against out-of-order commits (see the header).
CREATE TABLE ticket_events (
  id          text COLLATE "C" PRIMARY KEY,
  provider_id uuid NOT NULL,
  ticket_id   uuid NOT NULL,
  type        text NOT NULL,
  occurred_at timestamptz NOT NULL,
  doc         text NOT NULL,
  txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
  CONSTRAINT ticket_events_id_is_ulid CHECK (id ~ '^[0-7][0-9A-HJKMNP-TV-Z]{25}$')
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);
CREATE INDEX ticket_events_by_provider ON ticket_events (provider_id, txid, id);

-- Idempotency-Key: the first successful answer to a (client, key), replayed for 24 hours.
CREATE TABLE idempotency_keys (
  client_id    text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status       integer NOT NULL,
  location     text,
  body         text NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (client_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (client_id, created_at);
`
