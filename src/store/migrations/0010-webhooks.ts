// Webhooks: a provider's endpoints, each with its delivery state, and a log of every attempt.
//
// The delivery state lives on the endpoint row so that it survives restarts and is shared by
// every server process on the database:
// - cursor_event_id/cursor_txid: the endpoint's position in the provider's feed, (txid, id) of
//   the last event delivered or passed over (not subscribed). The txid lets the dispatcher find
//   its place again if the retention purge deletes the event the cursor names.
// - attempt_event_id, attempt, next_attempt_at, failing_since: the event being retried, how many
//   attempts it has had, when the next one is due, and since when every attempt has failed.
//   next_attempt_at NULL means "not waiting": due whenever the feed has events past the cursor.
// - lease_owner/lease_token/lease_expires_at: the process delivering to the endpoint right now;
//   claimed with FOR UPDATE SKIP LOCKED, so two processes never send to one endpoint at once.
// - state_version: bumped by changes that move the state (recover, re-enabling, a new URL), so
//   that an attempt in flight during such a change does not write its stale outcome over it.
// Secrets are stored as given by src/webhooks/secrets.ts: plaintext or AES-256-GCM ciphertext.
export const name = 'webhooks'

export const up = /* sql */ `
ALTER TABLE api_clients DROP CONSTRAINT api_clients_scopes_known;
ALTER TABLE api_clients ADD CONSTRAINT api_clients_scopes_known
  CHECK (scopes <@ ARRAY['tickets:read', 'tickets:write', 'tickets:manage', 'webhooks:manage']::text[]);

CREATE TABLE webhook_endpoints (
  id                         uuid PRIMARY KEY,
  provider_id                uuid NOT NULL,
  url                        text NOT NULL,
  description                text NOT NULL DEFAULT '',
  event_types                text[] NOT NULL,
  secret                     text NOT NULL,
  secret_encrypted           boolean NOT NULL,
  previous_secret            text,
  previous_secret_encrypted  boolean,
  previous_secret_expires_at timestamptz,
  disabled_reason            text,
  disabled_at                timestamptz,
  created_at                 timestamptz NOT NULL,
  updated_at                 timestamptz NOT NULL,
  cursor_event_id            text COLLATE "C",
  cursor_txid                xid8,
  attempt_event_id           text COLLATE "C",
  attempt                    integer NOT NULL DEFAULT 0,
  next_attempt_at            timestamptz,
  failing_since              timestamptz,
  state_version              integer NOT NULL DEFAULT 0,
  lease_owner                text,
  lease_token                text,
  lease_expires_at           timestamptz,
  CONSTRAINT webhook_endpoints_url_length CHECK (char_length(url) BETWEEN 1 AND 2048),
  CONSTRAINT webhook_endpoints_description_length CHECK (char_length(description) <= 255),
  CONSTRAINT webhook_endpoints_event_types_count CHECK (cardinality(event_types) BETWEEN 1 AND 50),
  CONSTRAINT webhook_endpoints_disabled_complete CHECK ((disabled_reason IS NULL) = (disabled_at IS NULL)),
  CONSTRAINT webhook_endpoints_previous_complete
    CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL)
       AND (previous_secret IS NULL) = (previous_secret_encrypted IS NULL)),
  CONSTRAINT webhook_endpoints_attempt_range CHECK (attempt >= 0)
);
CREATE INDEX webhook_endpoints_by_provider ON webhook_endpoints (provider_id, created_at, id);
-- The dispatcher's claim looks at enabled endpoints only.
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (next_attempt_at) WHERE disabled_reason IS NULL;

CREATE TABLE webhook_deliveries (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id        text COLLATE "C" NOT NULL,
  event_type      text NOT NULL,
  attempt         integer NOT NULL,
  attempted_at    timestamptz NOT NULL,
  response_status integer,
  duration_ms     integer NOT NULL,
  error           text,
  succeeded       boolean NOT NULL,
  next_attempt_at timestamptz
);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, attempted_at DESC, id DESC);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (attempted_at);
`
