// tickets clients create|list|revoke: API credentials for partner systems.
import { createApiClient } from '../auth/clients.js'
import { PARTNER_SCOPES, SCOPES, type Scope } from '../contract/oauth.js'
import { type FieldError, parseUuid } from '../domain/values.js'
import { loadConfig } from '../config.js'
import { openConfiguredStore } from './open.js'
import { parseCommandArgs, UsageError } from './usage.js'

export async function clientsCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args
  if (action === 'create') return create(rest)
  if (action === 'list') return list(rest)
  if (action === 'revoke') return revoke(rest)
  throw new UsageError(
    action ? `unknown clients action "${action}" (create, list, revoke)` : 'clients needs an action: create, list or revoke',
  )
}

async function create(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    provider: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  })
  if (!values.provider) throw new UsageError('clients create needs --provider <uuid>')
  if (!values.name?.trim()) throw new UsageError('clients create needs --name <text>')
  let providerId: string
  try {
    providerId = parseUuid(values.provider)
  } catch (error) {
    throw new UsageError(`--provider ${(error as FieldError).message}`)
  }
  const scopes = values.scope ?? [...PARTNER_SCOPES]
  for (const scope of scopes)
    if (!(SCOPES as readonly string[]).includes(scope)) throw new UsageError(`unknown scope "${scope}" (${SCOPES.join(', ')})`)
  const store = await openConfiguredStore(loadConfig(), 'tickets clients create')
  try {
    const { client, secret } = await createApiClient(store, { providerId, name: values.name.trim(), scopes: scopes as Scope[] })
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ client_id: client.clientId, client_secret: secret, provider_id: client.providerId, scopes: client.scopes })}\n`,
      )
    } else {
      process.stdout.write(
        `Created client "${client.name}" for provider ${client.providerId}\n` +
          `  client_id:     ${client.clientId}\n  client_secret: ${secret}\n  scopes:        ${client.scopes.join(' ')}\n` +
          'The secret is shown only now; store it safely.\n',
      )
    }
    return 0
  } finally {
    await store.close()
  }
}

async function list(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' } })
  const store = await openConfiguredStore(loadConfig(), 'tickets clients list')
  try {
    const clients = await store.listClients()
    if (values.json) {
      const rows = clients.map((c) => ({
        client_id: c.clientId,
        provider_id: c.providerId,
        name: c.name,
        scopes: c.scopes,
        created_at: c.createdAt,
        revoked_at: c.revokedAt,
      }))
      process.stdout.write(`${JSON.stringify(rows)}\n`)
    } else if (clients.length === 0) {
      process.stdout.write('No API clients yet. Create one with: tickets clients create --provider <uuid> --name <text>\n')
    } else {
      for (const c of clients)
        process.stdout.write(
          `${c.clientId}  ${c.providerId}  ${c.scopes.join(',').padEnd(25)}  ${c.revokedAt ? `revoked ${c.revokedAt}` : 'active'}  ${c.name}\n`,
        )
    }
    return 0
  } finally {
    await store.close()
  }
}

async function revoke(args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(args, {}, true)
  if (positionals.length !== 1) throw new UsageError('clients revoke needs exactly one <client_id>')
  const clientId = positionals[0]!
  const store = await openConfiguredStore(loadConfig(), 'tickets clients revoke')
  try {
    if (!(await store.revokeClient(clientId, new Date()))) {
      process.stderr.write(`tickets: no client ${clientId}\n`)
      return 1
    }
    process.stdout.write(`Revoked ${clientId}; its tokens are rejected from now on.\n`)
    return 0
  } finally {
    await store.close()
  }
}
