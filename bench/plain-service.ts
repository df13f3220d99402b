// The plain-service yardstick (issue #11): the three requests the bench compares it on, served by
// `node:http` and one `pg.Pool` the way a straightforward service would, with none of what the
// Tickets service adds: no token check (the provider comes from the `x-provider-id` header), no
// request logging, no validation beyond what routing needs, no ETag or other headers, no events.
// Run by bench/plain-load.ts as its own process:
//   node --import tsx bench/plain-service.ts <database-url> <pool-size>
// It prints `listening on http://127.0.0.1:<port>` and stops on SIGINT or SIGTERM.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import pg from 'pg'

const [databaseUrl, poolSize] = process.argv.slice(2)
if (!databaseUrl || !poolSize) throw new Error('usage: plain-service.ts <database-url> <pool-size>')
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(poolSize) })
// An idle connection that breaks (server restart) must not crash the process.
pool.on('error', () => undefined)

const TICKET_PATH = /^\/v2\/tickets\/tickets\/([0-9a-f-]{36})$/
const UUID = /^[0-9a-f-]{36}$/
/** The service's default page: 25 tickets, oldest first, ties broken by id. */
const PAGE_SIZE = 25

// `doc` is the ticket as the API sends it, kept by the table's document trigger (migration
// 0005), so answering a ticket is sending that text, as the service does.
async function getTicket(provider: string, id: string) {
  const { rows } = await pool.query<{ doc: string }>('SELECT doc FROM tickets WHERE id = $1 AND provider_id = $2', [id, provider])
  return rows[0]?.doc
}

// One UPDATE … RETURNING: the row's triggers (document, counters) run as for any write, but no
// event is appended and nothing is locked first. Only externally_processed is understood.
async function markProcessed(provider: string, id: string, processed: boolean) {
  const { rows } = await pool.query<{ doc: string }>(
    'UPDATE tickets SET externally_processed = $3, updated_at = greatest(now(), created_at) WHERE id = $1 AND provider_id = $2 RETURNING doc',
    [id, provider, processed],
  )
  return rows[0]?.doc
}

// The page and a plain count(*) of every matching row, side by side on two connections.
async function listByCustomer(provider: string, customer: string) {
  const where = 'FROM tickets WHERE provider_id = $1 AND customer_id = $2'
  const [page, count] = await Promise.all([
    pool.query<{ doc: string }>(`SELECT doc ${where} ORDER BY created_at, id LIMIT ${PAGE_SIZE}`, [provider, customer]),
    pool.query<{ total: string }>(`SELECT count(*) AS total ${where}`, [provider, customer]),
  ])
  const query = JSON.stringify({ customer_id: customer, limit: PAGE_SIZE, offset: 0 })
  return `{"query":${query},"result":[${page.rows.map((r) => r.doc).join(',')}],"total":${count.rows[0]!.total}}`
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of request) body += chunk
  return body
}

function send(response: ServerResponse, status: number, body: string) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(body)
}

/** A ticket's document, or 404 when the provider has no such ticket. */
const sendTicket = (response: ServerResponse, doc: string | undefined) =>
  doc === undefined ? send(response, 404, '{"status":404}') : send(response, 200, doc)

function parsePatch(body: string): { externally_processed?: unknown } | undefined {
  try {
    return JSON.parse(body) as { externally_processed?: unknown }
  } catch {
    return undefined
  }
}

async function handle(request: IncomingMessage, response: ServerResponse) {
  const provider = request.headers['x-provider-id']
  if (typeof provider !== 'string' || !UUID.test(provider)) return send(response, 401, '{"status":401}')
  const url = new URL(request.url ?? '/', 'http://plain')
  const id = TICKET_PATH.exec(url.pathname)?.[1]
  if (id && request.method === 'GET') return sendTicket(response, await getTicket(provider, id))
  if (id && request.method === 'PATCH') {
    const processed = parsePatch(await readBody(request))?.externally_processed
    if (typeof processed !== 'boolean') return send(response, 400, '{"status":400}')
    return sendTicket(response, await markProcessed(provider, id, processed))
  }
  const customer = url.searchParams.get('customer_id')
  if (url.pathname === '/v2/tickets/tickets' && request.method === 'GET' && customer && UUID.test(customer))
    return send(response, 200, await listByCustomer(provider, customer))
  send(response, 404, '{"status":404}')
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: Error) => {
    if (!response.headersSent) send(response, 500, JSON.stringify({ status: 500, detail: error.message }))
    else response.destroy()
  })
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number }
  process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    server.close()
    server.closeAllConnections()
    void pool.end().finally(() => process.exit(0))
  })
