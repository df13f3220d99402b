// One claimed endpoint's turn: read the feed past its cursor, pass over events it does not
// subscribe to, and deliver the others one by one, in feed order, until one fails (it then
// waits for its retry, and every later event waits behind it) or the page is done.
import type { EventFeedStore } from '../store/event-feed.js'
import type { ClaimedWebhookEndpoint, NewWebhookDelivery, WebhookDeliveryStore } from '../store/webhook-store.js'
import { endpointDisabledEvent } from '../events/provider-events.js'
import { matchesEventTypes } from './event-types.js'
import { messageOfFeedEvent, type WebhookMessage } from './message.js'
import { nextStep } from './retry-schedule.js'
import { sendMessage } from './send-message.js'
import type { SendResult, WebhookSender } from './sender.js'

export interface DispatchLog {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

export interface DeliveryContext {
  store: WebhookDeliveryStore & Pick<EventFeedStore, 'readFeed'>
  sender: WebhookSender
  clock: () => Date
  random: () => number
  encryptionKey: Buffer | undefined
  leaseMs: number
  batchSize: number
  isStopping: () => boolean
  log: DispatchLog
}

/**
 * Successful deliveries are recorded together (one transaction for the run: the cursor, the
 * renewed lease and their log rows), at the end of the page, before a failure is recorded, and
 * at least this often. A transaction per delivery would cap one endpoint at the database's
 * commit rate. The price: a crash between a delivery and its record sends those events again,
 * which Standard Webhooks receivers expect (at-least-once, deduplicated by webhook-id). Within a
 * run, a plain read checks every LEASE_CHECK_EVERY_MS that the endpoint is still enabled and unchanged.
 */
export const RECORD_EVERY_MS = 1_000
/** How long a run of sends goes on before it checks that the endpoint is still enabled and unchanged. */
export const LEASE_CHECK_EVERY_MS = 20

/** Serves the endpoint; true when more events may be waiting (the page was full). */
export async function deliverToEndpoint(context: DeliveryContext, claim: ClaimedWebhookEndpoint): Promise<boolean> {
  const { store, clock } = context
  const { endpoint, lease } = claim
  let position = endpoint.cursorEventId
  const page = await store.readFeed(
    { providerId: endpoint.providerId },
    { limit: context.batchSize, ...(position !== null ? { afterId: position } : {}) },
  )
  if (!page.found) {
    // The retention purge took the cursor's event; find the place again and come back.
    await store.repositionWebhookCursor(lease, clock())
    return true
  }
  const delivered: NewWebhookDelivery[] = []
  let succeededThisTurn = false
  let recordedAt = clock().getTime()
  let checkedAt = performance.now()
  /** Records the run of successes; false when the turn must end (the lease or state changed, or the endpoint was disabled). */
  const recordDelivered = async (): Promise<boolean> => {
    if (delivered.length === 0 || position === null) return true
    const renewUntil = new Date(clock().getTime() + context.leaseMs)
    const goOn = await store.recordWebhookAttempt(lease, { kind: 'delivered', position, deliveries: delivered.splice(0) }, renewUntil)
    recordedAt = clock().getTime()
    return goOn
  }
  const endTurn = async (more: boolean): Promise<boolean> => {
    // The release writes the position only under the same lease and state version.
    await store.releaseWebhookEndpoint(lease, position, clock())
    return more
  }
  for (const doc of page.events) {
    if (context.isStopping()) break
    const message = readMessage(context, doc)
    if (message === undefined) break
    if (!matchesEventTypes(endpoint.eventTypes, message.type)) {
      position = message.id
      continue
    }
    // The claim was checked when it was taken; check it again before a later send once
    // LEASE_CHECK_EVERY_MS have passed, so that a disabled or re-pointed endpoint gets nothing
    // that starts later than that (a read, not the run's record; real time, not the schedule's
    // clock). Under load, a read before every send would put each delivery in the pool's queue.
    if (delivered.length > 0 && performance.now() - checkedAt >= LEASE_CHECK_EVERY_MS) {
      if (!(await store.isWebhookLeaseCurrent(lease))) {
        await recordDelivered()
        return endTurn(false)
      }
      checkedAt = performance.now()
    }
    const attemptedAt = clock()
    const attempt = message.id === endpoint.attemptEventId ? endpoint.attempt + 1 : 1
    const result = await sendMessage(context, endpoint, message)
    const delivery: NewWebhookDelivery = {
      endpointId: endpoint.id,
      eventId: message.id,
      eventType: message.type,
      attempt,
      attemptedAt: attemptedAt.toISOString(),
      responseStatus: result.status,
      durationMs: result.durationMs,
      error: result.error,
      succeeded: result.succeeded,
      nextAttemptAt: null,
    }
    if (result.succeeded) {
      delivered.push(delivery)
      succeededThisTurn = true
      position = message.id
      if (clock().getTime() - recordedAt >= RECORD_EVERY_MS && !(await recordDelivered())) return endTurn(false)
      continue
    }
    if (!(await recordDelivered())) return endTurn(false)
    // A success earlier in this turn ended the endpoint's failure streak.
    const current = succeededThisTurn ? { ...claim, endpoint: { ...endpoint, failingSince: null } } : claim
    await recordFailure(context, current, { position, delivery, result })
    return false
  }
  if (!(await recordDelivered())) return endTurn(false)
  return endTurn(page.events.length === context.batchSize)
}

/** The feed's document as a message; one the feed should never have served stops this turn, logged. */
function readMessage(context: DeliveryContext, doc: string): WebhookMessage | undefined {
  try {
    return messageOfFeedEvent(doc)
  } catch (error) {
    context.log.error({ err: error, doc: doc.slice(0, 200) }, 'a feed event cannot be read; webhook delivery waits behind it')
    return undefined
  }
}

async function recordFailure(
  context: DeliveryContext,
  { endpoint, lease }: ClaimedWebhookEndpoint,
  failed: { position: string | null; delivery: NewWebhookDelivery; result: SendResult },
): Promise<void> {
  const now = context.clock()
  const { position, delivery, result } = failed
  // The streak counts from the endpoint's first failure since its last success.
  const failingSince = new Date(endpoint.failingSince ?? delivery.attemptedAt)
  const step = nextStep(
    { attempt: delivery.attempt, status: result.status, retryAfter: result.retryAfter, failingSince, now },
    context.random,
  )
  const recorded =
    step.kind === 'retry'
      ? await context.store.recordWebhookAttempt(
          lease,
          { kind: 'failed', position, delivery: { ...delivery, nextAttemptAt: step.at.toISOString() } },
          now,
        )
      : await context.store.recordWebhookAttempt(
          lease,
          {
            kind: 'disabled',
            position,
            delivery,
            reason: step.reason,
            event: endpointDisabledEvent(endpoint.providerId, { id: endpoint.id, url: endpoint.url, disabled_reason: step.reason }, now),
          },
          now,
        )
  if (!recorded) await context.store.releaseWebhookEndpoint(lease, position, now)
  else if (step.kind === 'disable')
    context.log.warn({ endpointId: endpoint.id, providerId: endpoint.providerId, reason: step.reason }, 'webhook endpoint disabled')
}
