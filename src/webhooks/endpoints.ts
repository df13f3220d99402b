// Managing a provider's webhook endpoints, for the HTTP routes and the CLI alike: every check
// the body schema cannot make (known event types, the URL policy, the endpoint limit) and the
// provider scoping. Throws AppError; returns wire shapes.
import { randomUUID } from 'node:crypto'
import type { NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookEndpointPatch } from '../contract/webhook-endpoint.js'
import { wireTimestamp } from '../domain/lifecycle/events.js'
import { type FieldError, parseDateTime } from '../domain/values.js'
import { AppError } from '../errors/app-error.js'
import type { Page } from '../store/lifecycle-reads.js'
import type { ProviderScope } from '../store/provider-scope.js'
import type { WebhookEndpointChange, WebhookEndpointStore } from '../store/webhook-store.js'
import { toWireDelivery, toWireEndpoint } from './endpoint-wire.js'
import { eventTypesRefusals } from './event-types.js'
import { generateWebhookSecret, storeWebhookSecret } from './secrets.js'
import type { WebhookSender } from './sender.js'
import { checkWebhookUrl, type TargetPolicy } from './url-policy.js'

/** Enough for every system of a provider; each endpoint costs the dispatcher a look per wake-up. */
export const MAX_ENDPOINTS_PER_PROVIDER = 20
/** How long the secret before a rotation keeps signing: a day to deploy the new one. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 3_600_000
export const DISABLED_BY_PROVIDER = 'Disabled by the provider.'

export interface WebhookManagement {
  store: WebhookEndpointStore
  clock: () => Date
  policy: TargetPolicy
  /** TICKETS_KEY_ENCRYPTION_KEY: new secrets are stored encrypted with it. */
  encryptionKey: Buffer | undefined
  /** Sends the test event. */
  sender: WebhookSender
}

export const endpointNotFound = (id: string) =>
  new AppError('webhook-endpoint-not-found', `No webhook endpoint ${id} belongs to your provider.`)

function checkEventTypes(selectors: readonly string[]): string[] {
  const refusals = eventTypesRefusals(selectors)
  if (refusals.length > 0)
    throw new AppError('invalid-body', `event_types: ${refusals.join('; ')}.`, {
      errors: refusals.map((detail) => ({ in: 'body' as const, name: 'event_types', detail })),
    })
  return [...selectors]
}

export async function createEndpoint(
  m: WebhookManagement,
  scope: ProviderScope,
  body: NewWebhookEndpoint,
): Promise<WebhookEndpoint & { secret: string }> {
  const eventTypes = checkEventTypes(body.event_types)
  const url = await checkWebhookUrl(body.url, m.policy)
  const id = randomUUID()
  const secret = generateWebhookSecret()
  const now = m.clock()
  const created = await m.store.createWebhookEndpoint(
    {
      id,
      providerId: scope.providerId,
      url,
      description: body.description ?? '',
      eventTypes,
      secret: storeWebhookSecret(secret, id, m.encryptionKey),
      now,
    },
    MAX_ENDPOINTS_PER_PROVIDER,
  )
  if (created === 'limit-reached')
    throw new AppError(
      'webhook-endpoint-limit',
      `Your provider has ${MAX_ENDPOINTS_PER_PROVIDER} webhook endpoints, the most it may have; delete one first.`,
    )
  return { ...toWireEndpoint(created, now), secret }
}

export async function listEndpoints(m: WebhookManagement, scope: ProviderScope, page: Page) {
  const { result, total } = await m.store.listWebhookEndpoints(scope, page)
  const now = m.clock()
  return { result: result.map((record) => toWireEndpoint(record, now)), total }
}

export async function getEndpoint(m: WebhookManagement, scope: ProviderScope, id: string): Promise<WebhookEndpoint> {
  const record = await m.store.getWebhookEndpoint(scope, id)
  if (!record) throw endpointNotFound(id)
  return toWireEndpoint(record, m.clock())
}

export async function updateEndpoint(
  m: WebhookManagement,
  scope: ProviderScope,
  id: string,
  patch: WebhookEndpointPatch,
): Promise<WebhookEndpoint> {
  const now = m.clock()
  const change: WebhookEndpointChange = { now }
  if (patch.event_types !== undefined) change.eventTypes = checkEventTypes(patch.event_types)
  if (patch.description !== undefined) change.description = patch.description
  if (patch.disabled !== undefined) change.disabledReason = patch.disabled ? DISABLED_BY_PROVIDER : null
  // The URL last: a 404 or a bad event type is reported without waiting for DNS.
  if (!(await m.store.getWebhookEndpoint(scope, id))) throw endpointNotFound(id)
  if (patch.url !== undefined) change.url = await checkWebhookUrl(patch.url, m.policy)
  const updated = await m.store.updateWebhookEndpoint(scope, id, change)
  if (!updated) throw endpointNotFound(id)
  return toWireEndpoint(updated, now)
}

export async function deleteEndpoint(m: WebhookManagement, scope: ProviderScope, id: string): Promise<void> {
  if (!(await m.store.deleteWebhookEndpoint(scope, id))) throw endpointNotFound(id)
}

export async function rotateSecret(
  m: WebhookManagement,
  scope: ProviderScope,
  id: string,
): Promise<{ secret: string; previous_secret_expires_at: string }> {
  const now = m.clock()
  const secret = generateWebhookSecret()
  const previousExpiresAt = new Date(now.getTime() + PREVIOUS_SECRET_GRACE_MS)
  const rotated = await m.store.rotateWebhookSecret(scope, id, {
    secret: storeWebhookSecret(secret, id, m.encryptionKey),
    previousExpiresAt,
    now,
  })
  if (!rotated) throw endpointNotFound(id)
  return { secret, previous_secret_expires_at: wireTimestamp(previousExpiresAt) }
}

/** `since` as given in a body or on the command line, or a 400 naming it. */
export function parseSince(raw: string): string {
  try {
    return parseDateTime(raw)
  } catch (error) {
    const detail = (error as FieldError).message
    throw new AppError('invalid-body', `since ${detail}.`, { errors: [{ in: 'body', name: 'since', detail }] })
  }
}

export async function recoverEndpoint(m: WebhookManagement, scope: ProviderScope, id: string, since: string): Promise<WebhookEndpoint> {
  const from = parseSince(since)
  const endpoint = await m.store.getWebhookEndpoint(scope, id)
  if (!endpoint) throw endpointNotFound(id)
  if (endpoint.disabledReason !== null)
    throw new AppError(
      'webhook-endpoint-disabled',
      `Webhook endpoint ${id} is disabled (${endpoint.disabledReason}); enable it (PATCH disabled: false) before recovering.`,
    )
  const recovered = await m.store.recoverWebhookEndpoint(scope, id, from)
  if (!recovered) throw endpointNotFound(id)
  return toWireEndpoint(recovered, m.clock())
}

export async function listDeliveries(
  m: WebhookManagement,
  scope: ProviderScope,
  id: string,
  query: Page & { eventId?: string },
): Promise<{ result: WebhookDelivery[]; total: number }> {
  const page = await m.store.listWebhookDeliveries(scope, id, query)
  if (!page) throw endpointNotFound(id)
  return { result: page.result.map(toWireDelivery), total: page.total }
}
