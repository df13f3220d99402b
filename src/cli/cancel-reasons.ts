// tickets cancel-reasons list|add: the catalogue that cancelled tickets name as
// cancel_reason_id (GET /v2/tickets/cancel-reasons serves it). Reasons are added, never
// changed or removed: tickets and outsources keep referring to them.
import type { CancelReason } from '../contract/cancel-reason.js'
import { loadConfig } from '../config.js'
import type { Store } from '../store/store.js'
import { openConfiguredStore } from './open.js'
import { StartupError } from './startup-errors.js'
import { parseCommandArgs, UsageError } from './usage.js'

const INT32_MAX = 2_147_483_647
const NAME_MAX = 255

export async function cancelReasonsCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args
  if (action === 'list') return list(rest)
  if (action === 'add') return add(rest)
  throw new UsageError(action ? `unknown cancel-reasons action "${action}" (list, add)` : 'cancel-reasons needs an action: list or add')
}

async function allReasons(store: Store): Promise<CancelReason[]> {
  const reasons: CancelReason[] = []
  for (;;) {
    const page = await store.listCancelReasons({ limit: 1000, offset: reasons.length })
    reasons.push(...page.result)
    if (page.result.length === 0 || reasons.length >= page.total) return reasons
  }
}

function describe(reason: CancelReason): string {
  const flags = [
    reason.allows_ticket_reopening ? 'reopenable' : '',
    reason.customer_fault ? 'customer-fault' : '',
    reason.manually_applicable ? '' : 'not-manual',
  ].filter((flag) => flag !== '')
  return `${String(reason.id).padStart(4)}  ${(flags.join(',') || '-').padEnd(37)}  ${reason.name}`
}

async function list(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' } })
  const store = await openConfiguredStore(loadConfig(), 'tickets cancel-reasons list')
  try {
    const reasons = await allReasons(store)
    if (values.json) process.stdout.write(`${JSON.stringify(reasons)}\n`)
    else for (const reason of reasons) process.stdout.write(`${describe(reason)}\n`)
    return 0
  } finally {
    await store.close()
  }
}

const isUniqueViolation = (error: unknown) => error instanceof Error && (error as { code?: unknown }).code === '23505'

async function add(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    name: { type: 'string' },
    reopenable: { type: 'boolean' },
    'customer-fault': { type: 'boolean' },
    'not-manual': { type: 'boolean' },
    id: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (values.name === undefined) throw new UsageError('cancel-reasons add needs --name <text>')
  const name = values.name.trim()
  if (name === '') throw new UsageError('--name must not be empty')
  // Counted in code points, as PostgreSQL's char_length does.
  if ([...name].length > NAME_MAX) throw new UsageError(`--name is ${[...name].length} characters long; at most ${NAME_MAX} are allowed`)
  let id: number | undefined
  if (values.id !== undefined) {
    if (!/^[0-9]+$/.test(values.id) || Number(values.id) < 1 || Number(values.id) > INT32_MAX)
      throw new UsageError(
        `--id must be a whole number from 1 to ${INT32_MAX} (tickets hold cancel_reason_id as int32), not "${values.id}"`,
      )
    id = Number(values.id)
  }
  const reason = {
    name,
    allows_ticket_reopening: values.reopenable ?? false,
    customer_fault: values['customer-fault'] ?? false,
    manually_applicable: !(values['not-manual'] ?? false),
  }
  const store = await openConfiguredStore(loadConfig(), 'tickets cancel-reasons add')
  try {
    let added: CancelReason
    if (id !== undefined) {
      const taken = await store.getCancelReason(id)
      if (taken) throw new StartupError(`cancel reason ${id} exists already ("${taken.name}"); choose another --id or leave it out`)
      try {
        added = await store.addCancelReason({ ...reason, id })
      } catch (error) {
        if (isUniqueViolation(error)) throw new StartupError(`cancel reason ${id} exists already; choose another --id or leave it out`)
        throw error
      }
    } else {
      added = await addNumbered(store, reason)
    }
    if (values.json) process.stdout.write(`${JSON.stringify(added)}\n`)
    else process.stdout.write(`Added cancel reason ${added.id}:\n${describe(added)}\n`)
    return 0
  } finally {
    await store.close()
  }
}

/** Adds a reason with the next number from 100 up (the store picks it). */
async function addNumbered(store: Store, reason: Omit<CancelReason, 'id'>): Promise<CancelReason> {
  try {
    return await store.addCancelReason(reason)
  } catch (error) {
    if (isUniqueViolation(error)) throw new StartupError('another process added a cancel reason at the same time; run the command again')
    throw error
  }
}
