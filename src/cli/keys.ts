// tickets keys rotate|list: the token signing keys kept in the store (never their secrets).
import { keyState, rotateSigningKeys } from '../auth/signing-keys.js'
import { TOKEN_TTL_SECONDS } from '../auth/tokens.js'
import { loadConfig } from '../config.js'
import { openConfiguredStore } from './open.js'
import { StartupError } from './startup-errors.js'
import { parseCommandArgs, UsageError } from './usage.js'

export async function keysCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args
  if (action === 'rotate') return rotate(rest)
  if (action === 'list') return list(rest)
  throw new UsageError(action ? `unknown keys action "${action}" (rotate, list)` : 'keys needs an action: rotate or list')
}

async function rotate(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' }, 'retire-previous-now': { type: 'boolean' } })
  const config = loadConfig()
  // Servers with a pinned secret never read the store's keys: rotating them would change nothing.
  if (config.signingSecret)
    throw new StartupError('TICKETS_SIGNING_SECRET pins the signing key; unset it to use (and rotate) the keys kept in the store')
  const store = await openConfiguredStore(config, 'tickets keys rotate')
  try {
    const now = new Date()
    const rotated = await rotateSigningKeys(store, {
      now,
      tokenTtlSeconds: TOKEN_TTL_SECONDS,
      encryptionKey: config.keyEncryptionKey,
      retirePreviousNow: values['retire-previous-now'] ?? false,
    })
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ kid: rotated.kid, encrypted: rotated.encrypted, previous: rotated.previous ?? null, previous_retires_at: rotated.previous ? rotated.retiresAt.toISOString() : null, pruned: rotated.pruned })}\n`,
      )
    } else {
      process.stdout.write(
        `New signing key ${rotated.kid} (${rotated.encrypted ? 'encrypted' : 'plaintext: set TICKETS_KEY_ENCRYPTION_KEY to encrypt'}); ` +
          'running servers sign with it within a minute.\n' +
          (rotated.previous
            ? values['retire-previous-now']
              ? `${rotated.previous} is retired: servers refuse its tokens from their next refresh (within a minute).\n`
              : `${rotated.previous} verifies the tokens it signed until ${rotated.retiresAt.toISOString()}, then retires.\n`
            : '') +
          (rotated.pruned.length > 0 ? `Pruned retired keys: ${rotated.pruned.join(', ')}\n` : ''),
      )
    }
    return 0
  } finally {
    await store.close()
  }
}

async function list(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' } })
  const config = loadConfig()
  const store = await openConfiguredStore(config, 'tickets keys list')
  try {
    const now = new Date()
    const rows = (await store.listSigningKeys()).map((key) => ({
      kid: key.kid,
      created_at: key.createdAt,
      state: keyState(key, now),
      retires_at: key.retiresAt,
      encrypted: key.encrypted,
    }))
    if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`)
    else if (rows.length === 0) process.stdout.write('No signing keys yet: the server creates the first one when it starts.\n')
    else
      for (const row of rows)
        process.stdout.write(
          `${row.kid.padEnd(18)}  ${row.created_at}  ${(row.state === 'verifying' ? `verifying until ${row.retires_at}` : row.state).padEnd(42)}  ${row.encrypted ? 'encrypted' : 'plaintext'}\n`,
        )
    if (config.signingSecret && !values.json)
      process.stdout.write('(TICKETS_SIGNING_SECRET is set: servers with it sign and verify with that key only.)\n')
    return 0
  } finally {
    await store.close()
  }
}
