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

export const up = `
ALTER TABLE tickets ADD COLUMN doc text;

CREATE FUNCTION tickets_document() RETURNS trigger LANGUAGE plpgsql
SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' AS $$
BEGIN
  SELECT row_to_json(r)::text INTO NEW.doc FROM (SELECT
    NEW.id AS id,
    ${ts('assigned_at')} AS assigned_at,
    NEW.cancel_reason_id AS cancel_reason_id,
    NEW.connection_id AS connection_id,
    ${ts('created_at')} AS created_at,
    NEW.customer_channel_id AS customer_channel_id,
    NEW.customer_connector_id AS customer_connector_id,
    NEW.customer_id AS customer_id,
    NEW.customer_reference AS customer_reference,
    NEW.external_reference AS external_reference,
    NEW.externally_processed AS externally_processed,
    ${ts('finished_at')} AS finished_at,
    NEW.operator_channel_id AS operator_channel_id,
    NEW.operator_id AS operator_id,
    NEW.operator_reference AS operator_reference,
    NEW.outsourced AS outsourced,
    NEW.source_provider_id AS source_provider_id,
    NEW.state AS state,
    NEW.ticket_number AS ticket_number,
    ${ts('updated_at')} AS updated_at,
    NEW.vehicle_model_id AS vehicle_model_id,
    NEW.vin AS vin,
    NEW.voucher_code AS voucher_code
  ) r;
  RETURN NEW;
END
$$;

CREATE TRIGGER tickets_document BEFORE INSERT OR UPDATE ON tickets
FOR EACH ROW EXECUTE FUNCTION tickets_document();

UPDATE tickets SET doc = NULL;
ALTER TABLE tickets ALTER COLUMN doc SET NOT NULL;
`
