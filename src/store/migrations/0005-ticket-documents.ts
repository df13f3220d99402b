// Every ticket row carries its wire representation (`doc`: the Ticket as JSON text, byte for
// byte what the API sends), kept current by a trigger on every insert and update. A list page
// is then the concatenation of stored documents: PostgreSQL copies text instead of building
// 23-member objects and formatting four timestamps per row, which was most of a page's cost
// (about 9 µs per ticket on the bench machine, 17 ms of a 1,000-ticket page).
//
// The members are listed in the contract's order (TICKET_FIELDS in src/contract/ticket.ts);
// a store test compares documents with rowToTicket for every kind of write, so a change to the
// contract that forgets this function fails there. Timestamps are printed in UTC with ISO
// date style whatever the session says (the SET clauses), as RFC 3339 with a Z.
export const name = 'ticket-documents'

const ts = (column: string) => `replace(left(NEW.${column}::text, -3), ' ', 'T') || 'Z'`

/** The Ticket's members, in wire order, with the SQL that gives each one's JSON value. */
const MEMBERS: Array<[name: string, type: string, value: string]> = [
  ['id', 'uuid', 'NEW.id'],
  ['assigned_at', 'text', ts('assigned_at')],
  ['cancel_reason_id', 'integer', 'NEW.cancel_reason_id'],
  ['connection_id', 'uuid', 'NEW.connection_id'],
  ['created_at', 'text', ts('created_at')],
  ['customer_channel_id', 'uuid', 'NEW.customer_channel_id'],
  ['customer_connector_id', 'uuid', 'NEW.customer_connector_id'],
  ['customer_id', 'uuid', 'NEW.customer_id'],
  ['customer_reference', 'text', 'NEW.customer_reference'],
  ['external_reference', 'text', 'NEW.external_reference'],
  ['externally_processed', 'boolean', 'NEW.externally_processed'],
  ['finished_at', 'text', ts('finished_at')],
  ['operator_channel_id', 'uuid', 'NEW.operator_channel_id'],
  ['operator_id', 'uuid', 'NEW.operator_id'],
  ['operator_reference', 'text', 'NEW.operator_reference'],
  ['outsourced', 'boolean', 'NEW.outsourced'],
  ['source_provider_id', 'uuid', 'NEW.source_provider_id'],
  ['state', 'ticket_state', 'NEW.state'],
  ['ticket_number', 'bigint', 'NEW.ticket_number'],
  ['updated_at', 'text', ts('updated_at')],
  ['vehicle_model_id', 'bigint', 'NEW.vehicle_model_id'],
  ['vin', 'text', 'NEW.vin'],
  ['voucher_code', 'text', 'NEW.voucher_code'],
]

// A composite type names the members, so the document is one plain expression (a ROW cast to
// it), which PL/pgSQL evaluates without running a query per row: a third cheaper than
// row_to_json over a subquery, which matters for bulk imports.
export const up = `
ALTER TABLE tickets ADD COLUMN doc text;

CREATE TYPE ticket_document AS (
${MEMBERS.map(([member, type]) => `  ${member} ${type}`).join(',\n')}
);

CREATE FUNCTION tickets_document() RETURNS trigger LANGUAGE plpgsql
SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' AS $$
BEGIN
  NEW.doc := row_to_json(ROW(
${MEMBERS.map(([, , value]) => `    ${value}`).join(',\n')}
  )::ticket_document)::text;
  RETURN NEW;
END
$$;

CREATE TRIGGER tickets_document BEFORE INSERT OR UPDATE ON tickets
FOR EACH ROW EXECUTE FUNCTION tickets_document();

UPDATE tickets SET doc = NULL;
ALTER TABLE tickets ALTER COLUMN doc SET NOT NULL;
`
