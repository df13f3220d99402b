// tickets webhooks create|list|show|update|delete|rotate-secret|test|deliveries|recover: a
// provider's webhook endpoints, managed by the operator with the same checks as the API
// (src/webhooks/endpoints.ts). --provider names the provider, since the CLI acts for any.
import { loadConfig } from '../config.js'
import { type FieldError, parseUuid } from '../domain/values.js'
import { AppError } from '../errors/app-error.js'
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  recoverEndpoint,
  rotateSecret,
  updateEndpoint,
  type WebhookManagement,
} from '../webhooks/endpoints.js'
import { WebhookSender } from '../webhooks/sender.js'
import { sendTestEvent } from '../webhooks/test-event.js'
import { printDeliveries, printEndpoint, printEndpoints, printTestOutcome } from './webhook-output.js'
import { openConfiguredStore } from './open.js'
import { StartupError } from './startup-errors.js'
import { parseCommandArgs, UsageError } from './usage.js'

const ACTIONS = ['create', 'list', 'show', 'update', 'delete', 'rotate-secret', 'test', 'deliveries', 'recover'] as const
type Action = (typeof ACTIONS)[number]

const COMMON = { provider: { type: 'string' }, json: { type: 'boolean' } } as const
const OPTIONS = {
  create: { ...COMMON, url: { type: 'string' }, 'event-type': { type: 'string', multiple: true }, description: { type: 'string' } },
  list: COMMON,
  show: COMMON,
  update: {
    ...COMMON,
    url: { type: 'string' },
    'event-type': { type: 'string', multiple: true },
    description: { type: 'string' },
    disable: { type: 'boolean' },
    enable: { type: 'boolean' },
  },
  delete: COMMON,
  'rotate-secret': COMMON,
  test: COMMON,
  deliveries: { ...COMMON, limit: { type: 'string' }, 'event-id': { type: 'string' } },
  recover: { ...COMMON, since: { type: 'string' } },
} as const

export async function webhooksCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args
  if (!(ACTIONS as readonly string[]).includes(action ?? ''))
    throw new UsageError(
      action ? `unknown webhooks action "${action}" (${ACTIONS.join(', ')})` : `webhooks needs an action: ${ACTIONS.join(', ')}`,
    )
  const { values, positionals } = parseCommandArgs(rest, OPTIONS[action as Action], true)
  const options = values as Record<string, string | string[] | boolean | undefined>
  if (typeof options.provider !== 'string') throw new UsageError(`webhooks ${action} needs --provider <uuid>`)
  const scope = { providerId: uuidArgument(options.provider, '--provider') }
  const takesId = action !== 'create' && action !== 'list'
  if (positionals.length !== (takesId ? 1 : 0))
    throw new UsageError(
      takesId ? `webhooks ${action} needs exactly one <endpoint-id>` : `webhooks ${action} takes no positional arguments`,
    )
  const id = takesId ? uuidArgument(positionals[0]!, 'the endpoint id') : ''
  const config = loadConfig()
  const store = await openConfiguredStore(config, `tickets webhooks ${action}`)
  const management: WebhookManagement = {
    store,
    clock: () => new Date(),
    policy: { allowPrivate: config.webhooksAllowPrivate },
    encryptionKey: config.keyEncryptionKey,
    sender: new WebhookSender({ allowPrivate: config.webhooksAllowPrivate }),
  }
  try {
    return await run(action as Action, management, scope, id, options)
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    // A refused value is the caller's to fix (usage); not found, refused URL and conflicts are failures.
    if (error.slug === 'invalid-body') throw new UsageError(error.detail)
    throw new StartupError(error.detail)
  } finally {
    management.sender.close()
    await store.close()
  }
}

function uuidArgument(raw: string, what: string): string {
  try {
    return parseUuid(raw)
  } catch (error) {
    throw new UsageError(`${what} "${raw}" ${(error as FieldError).message}`)
  }
}

type Options = Record<string, string | string[] | boolean | undefined>

async function run(action: Action, m: WebhookManagement, scope: { providerId: string }, id: string, options: Options) {
  const json = options.json === true
  const eventTypes = options['event-type'] as string[] | undefined
  switch (action) {
    case 'create': {
      if (typeof options.url !== 'string') throw new UsageError('webhooks create needs --url <url>')
      if (!eventTypes) throw new UsageError('webhooks create needs --event-type <type> (repeatable; a prefix as tickets.ticket.*)')
      const description = typeof options.description === 'string' ? { description: options.description } : {}
      printEndpoint(await createEndpoint(m, scope, { url: options.url, event_types: eventTypes, ...description }), json, 'Created')
      return 0
    }
    case 'list':
      printEndpoints((await listEndpoints(m, scope, { limit: 1000, offset: 0 })).result, json)
      return 0
    case 'show':
      printEndpoint(await getEndpoint(m, scope, id), json)
      return 0
    case 'update': {
      if (options.disable && options.enable) throw new UsageError('webhooks update takes --disable or --enable, not both')
      const patch = {
        ...(typeof options.url === 'string' ? { url: options.url } : {}),
        ...(eventTypes ? { event_types: eventTypes } : {}),
        ...(typeof options.description === 'string' ? { description: options.description } : {}),
        ...(options.disable ? { disabled: true } : options.enable ? { disabled: false } : {}),
      }
      if (Object.keys(patch).length === 0)
        throw new UsageError('webhooks update needs something to change: --url, --event-type, --description, --disable or --enable')
      printEndpoint(await updateEndpoint(m, scope, id, patch), json, 'Updated')
      return 0
    }
    case 'delete':
      await deleteEndpoint(m, scope, id)
      process.stdout.write(json ? `${JSON.stringify({ deleted: id })}\n` : `Deleted webhook endpoint ${id}; nothing more is sent to it.\n`)
      return 0
    case 'rotate-secret': {
      const rotated = await rotateSecret(m, scope, id)
      process.stdout.write(
        json
          ? `${JSON.stringify(rotated)}\n`
          : `New secret for ${id}: ${rotated.secret}\nThe previous secret signs alongside until ${rotated.previous_secret_expires_at}. ` +
              'The new one is shown only now; store it safely.\n',
      )
      return 0
    }
    case 'test': {
      const outcome = await sendTestEvent(m, scope, id, { type: 'system' })
      printTestOutcome(outcome, json)
      return outcome.succeeded ? 0 : 1
    }
    case 'deliveries': {
      const raw = typeof options.limit === 'string' ? options.limit : '25'
      if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) > 1000) throw new UsageError('--limit must be an integer from 0 to 1000')
      const limit = Number(raw)
      const eventId = typeof options['event-id'] === 'string' ? { eventId: options['event-id'] } : {}
      printDeliveries(await listDeliveries(m, scope, id, { limit, offset: 0, ...eventId }), json)
      return 0
    }
    case 'recover': {
      if (typeof options.since !== 'string') throw new UsageError('webhooks recover needs --since <RFC 3339 date-time>')
      printEndpoint(await recoverEndpoint(m, scope, id, options.since), json, 'Recovering')
      return 0
    }
  }
}
