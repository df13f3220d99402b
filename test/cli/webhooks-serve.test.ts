// `tickets serve` delivers webhooks: with TICKETS_WEBHOOKS_ALLOW_PRIVATE=true, a ticket created
// through the API reaches a local receiver as a signed tickets.ticket.created delivery within
// the dispatcher's polling interval; Ctrl-C still exits 0. On PostgreSQL the dispatcher runs in
// a thread of its own (src/webhooks/dispatcher-thread.ts), on the embedded store in the server's.
import { Webhook } from 'standardwebhooks'
import { expect, it, vi } from 'vitest'
import { CUSTOMER_X, PROVIDER_A } from '../support/fixtures.js'
import { MODEL, VIN } from '../support/lifecycle.js'
import { STORE_KINDS } from '../support/stores.js'
import { startReceiver } from '../support/webhooks.js'
import { CLI_TEST_TIMEOUT, runCli, spawnCli } from './fixtures/cli.js'
import { freshStoreEnv } from './fixtures/store-env.js'

vi.setConfig({ testTimeout: CLI_TEST_TIMEOUT })

it.each(STORE_KINDS)('delivers a created ticket’s event to a local receiver, then stops cleanly on Ctrl-C [%s]', async (kind) => {
  const store = await freshStoreEnv(kind)
  const receiver = await startReceiver()
  const env = { ...store.env, TICKETS_DEMO: 'never', TICKETS_WEBHOOKS_ALLOW_PRIVATE: 'true' }
  const child = spawnCli(['serve', '--port', '0'], env)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    for (let i = 0; i < 1200 && !/listening on http:\/\/127\.0\.0\.1:(\d+)/.test(stdout); i++) await new Promise((r) => setTimeout(r, 100))
    const base = `http://127.0.0.1:${/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]}`
    const created = await runCli(
      ['clients', 'create', '--provider', PROVIDER_A, '--name', 'e2e', '--scope', 'tickets:manage', '--scope', 'webhooks:manage', '--json'],
      env,
    )
    expect(created.code, created.stderr).toBe(0)
    const { client_id, client_secret } = JSON.parse(created.stdout) as { client_id: string; client_secret: string }
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id, client_secret })
    const { access_token } = (await (await fetch(`${base}/oauth2/token`, { method: 'POST', body: form })).json()) as {
      access_token: string
    }
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const endpoint = await post('/v2/system/webhook-endpoints', {
      url: `${receiver.origin}/hooks`,
      event_types: ['tickets.ticket.created'],
    })
    expect(endpoint.status).toBe(201)
    const { secret } = (await endpoint.json()) as { secret: string }
    const ticket = await post('/v2/tickets/tickets', { customer_id: CUSTOMER_X, vehicle_model_id: MODEL, vin: VIN })
    expect(ticket.status).toBe(201)
    const { id } = (await ticket.json()) as { id: string }
    for (let i = 0; i < 100 && receiver.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(receiver.requests, stderr).toHaveLength(1)
    const [request] = receiver.requests
    const delivered = new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>) as {
      type: string
      data: { payload: { ticket: { id: string } } }
    }
    expect(delivered.type).toBe('tickets.ticket.created')
    expect(delivered.data.payload.ticket.id).toBe(id)
  } finally {
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    await receiver.close()
    await store.dispose()
  }
})
