// tickets partners add|list|remove: which providers may outsource tickets to each other.
// A partnership is symmetric (one row per pair); it is checked when a ticket is outsourced, so
// removing one stops new outsources between the two and leaves running outsources as they are.
import { type FieldError, parseUuid } from '../domain/values.js'
import { loadConfig } from '../config.js'
import { openConfiguredStore } from './open.js'
import { parseCommandArgs, UsageError } from './usage.js'

export async function partnersCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args
  if (action === 'add') return add(rest)
  if (action === 'list') return list(rest)
  if (action === 'remove') return remove(rest)
  throw new UsageError(action ? `unknown partners action "${action}" (add, list, remove)` : 'partners needs an action: add, list or remove')
}

function uuidArgument(raw: string, what: string): string {
  try {
    return parseUuid(raw)
  } catch (error) {
    throw new UsageError(`${what} "${raw}" ${(error as FieldError).message}`)
  }
}

/** The two provider ids of `add` and `remove`: two distinct UUIDs. */
function providerPair(action: string, args: string[]): [string, string] {
  const { positionals } = parseCommandArgs(args, {}, true)
  if (positionals.length !== 2) throw new UsageError(`partners ${action} needs exactly two provider ids: <provider-uuid> <provider-uuid>`)
  const first = uuidArgument(positionals[0]!, 'the first provider id')
  const second = uuidArgument(positionals[1]!, 'the second provider id')
  if (first === second) throw new UsageError(`partners ${action} needs two different providers (both are ${first})`)
  return [first, second]
}

async function add(args: string[]): Promise<number> {
  const [first, second] = providerPair('add', args)
  const store = await openConfiguredStore(loadConfig(), 'tickets partners add')
  try {
    if (await store.addPartnership(first, second))
      process.stdout.write(`${first} and ${second} are partners now: each may outsource tickets to the other.\n`)
    else process.stdout.write(`${first} and ${second} are already partners; nothing changed.\n`)
    return 0
  } finally {
    await store.close()
  }
}

async function list(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { provider: { type: 'string' }, json: { type: 'boolean' } })
  const provider = values.provider === undefined ? undefined : uuidArgument(values.provider, '--provider')
  const store = await openConfiguredStore(loadConfig(), 'tickets partners list')
  try {
    // With --provider, that provider comes first in every row; otherwise the pair as stored.
    const rows = (await store.listPartnerships(provider)).map((p) =>
      provider !== undefined && p.partnerId === provider
        ? { provider_id: p.partnerId, partner_id: p.providerId, created_at: p.createdAt }
        : { provider_id: p.providerId, partner_id: p.partnerId, created_at: p.createdAt },
    )
    if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`)
    else if (rows.length === 0)
      process.stdout.write(
        provider !== undefined
          ? `${provider} has no partners. Add one with: tickets partners add ${provider} <provider-uuid>\n`
          : 'No partnerships yet. Add one with: tickets partners add <provider-uuid> <provider-uuid>\n',
      )
    else for (const row of rows) process.stdout.write(`${row.provider_id}  ${row.partner_id}  since ${row.created_at}\n`)
    return 0
  } finally {
    await store.close()
  }
}

async function remove(args: string[]): Promise<number> {
  const [first, second] = providerPair('remove', args)
  const store = await openConfiguredStore(loadConfig(), 'tickets partners remove')
  try {
    if (!(await store.removePartnership(first, second))) {
      process.stderr.write(`tickets: ${first} and ${second} are not partners; nothing to remove\n`)
      return 1
    }
    process.stdout.write(
      `${first} and ${second} are no longer partners: neither may outsource to the other; outsources already made run on.\n`,
    )
    return 0
  } finally {
    await store.close()
  }
}
