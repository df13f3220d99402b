// Event delivery, part one: the provider-wide feed over ticket_events.
//
// The feed serves a provider's events ordered by (txid, id) and only those whose txid is below
// the reading statement's fence, pg_snapshot_xmin(pg_current_snapshot()): the oldest
// transaction still running. Every transaction below the fence has finished, so no event can
// later appear before a position the feed has already served (see event-feed-sql.ts). The
// index for that order came with 0007; this one adds what the feed needs beyond it:
// - events that belong to no ticket (the provider's own, e.g. a webhook endpoint disabled);
// - the retention purge, which deletes by age.
export const name = 'event-feed'

export const up = /* sql */ `
ALTER TABLE ticket_events ALTER COLUMN ticket_id DROP NOT NULL;
CREATE INDEX ticket_events_by_age ON ticket_events (occurred_at);
`
