// The demo seed for a first `npm start`: a provider, a client and a few hundred tickets in
// every state. The credentials are kept (mode 0600) in the data directory so that a restart
// can print them again; they are demo credentials for a local store, nothing more.
import { randomUUID } from 'node:crypto'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createApiClient } from '../auth/clients.js'
import type { Config } from '../config.js'
import { generateTickets } from '../demo/generate-tickets.js'
import type { ClientStore } from '../store/client-store.js'
import type { TicketTransfer } from '../store/ticket-transfer.js'

export const DEMO_TICKETS = 300

export interface DemoCredentials {
  client_id: string
  client_secret: string
  provider_id: string
}

function credentialsFile(config: Readonly<Config>): string {
  return join(config.dataDir, 'demo-credentials.json')
}

export function readCredentials(config: Readonly<Config>): DemoCredentials | undefined {
  try {
    return JSON.parse(readFileSync(credentialsFile(config), 'utf8')) as DemoCredentials
  } catch {
    return undefined
  }
}

export function shouldSeed(config: Readonly<Config>): boolean {
  return config.demo === 'always' || (config.demo === 'auto' && !config.databaseUrl)
}

/** Seeds an empty store; returns the credentials to print, or undefined if there are none. */
export async function ensureDemo(store: ClientStore & TicketTransfer, config: Readonly<Config>): Promise<DemoCredentials | undefined> {
  const clients = await store.listClients()
  if (clients.length > 0) {
    const saved = readCredentials(config)
    const live = saved && clients.find((c) => c.clientId === saved.client_id && c.revokedAt === null)
    return live ? saved : undefined
  }
  const providerId = randomUUID()
  const tickets = [...generateTickets({ count: DEMO_TICKETS, providerId, seed: Date.now() % 1_000_000, firstTicketNumber: 7_100_000 })]
  async function* batches() {
    yield tickets.map((ticket, i) => ({ line: i + 1, providerId, ticket }))
  }
  await store.importTickets(batches())
  const { client, secret } = await createApiClient(store, { providerId, name: 'demo' })
  const credentials = { client_id: client.clientId, client_secret: secret, provider_id: providerId }
  if (!config.databaseUrl) {
    writeFileSync(credentialsFile(config), JSON.stringify(credentials, null, 2), { mode: 0o600 })
    chmodSync(credentialsFile(config), 0o600)
  }
  return credentials
}

export function demoBanner(credentials: DemoCredentials, baseUrl: string): string {
  const token =
    `curl -s -u '${credentials.client_id}:${credentials.client_secret}' -d grant_type=client_credentials ${baseUrl}/oauth2/token` +
    ` | sed -E 's/.*"access_token":"([^"]+)".*/\\1/'`
  return [
    '',
    `Demo provider ${credentials.provider_id} with ${DEMO_TICKETS} tickets.`,
    `  client_id:     ${credentials.client_id}`,
    `  client_secret: ${credentials.client_secret}`,
    '',
    'Try it (paste into a shell):',
    `  curl -s -H "Authorization: Bearer $(${token})" '${baseUrl}/v2/tickets/tickets?state=closed&limit=2'`,
    '',
    'Watch tickets move (customers, operators and a partner provider, through the API; Ctrl-C stops):',
    '  ./bin/tickets simulate --rate 20/s',
    '',
    `API reference: ${baseUrl}/docs`,
    '',
  ].join('\n')
}
