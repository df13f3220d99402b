// Servers cache API clients (one query less per request) and must hear at once when one is
// revoked or removed, by any process: a row trigger notifies the change, delivered at commit.
export const name = 'client-notifications'

export const CLIENT_CHANNEL = 'tickets_api_clients'

export const up = `
CREATE FUNCTION api_clients_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${CLIENT_CHANNEL}', OLD.client_id);
  RETURN NULL;
END $$;
CREATE TRIGGER api_clients_notify AFTER UPDATE OR DELETE ON api_clients
  FOR EACH ROW EXECUTE FUNCTION api_clients_notify();
`
