// Reading the events feed for a caller: its provider's events after its position, held as a
// long poll when asked to wait. An `after_id` the store does not know is answered by its age:
// older than the retention, the events after it may be gone (410, resynchronise); otherwise it
// was never an event of this provider (400).
import type { Principal } from '../auth/bearer.js'
import { AppError } from '../errors/app-error.js'
import type { EventHub } from '../events/event-hub.js'
import { longPoll, type SuspendableSlot } from '../events/long-poll.js'
import { retentionCutoff } from '../events/retention.js'
import type { EventFeedStore } from '../store/event-feed.js'
import type { EventFeedQuery } from './event-feed-query.js'
import { ulidTime } from './lifecycle/ulid.js'

export interface EventFeedDeps {
  store: Pick<EventFeedStore, 'readFeed'>
  hub: EventHub
  clock: () => Date
  retentionDays: number
}

/** The problem for a position the store does not know; `from` names where it came from (the stream's Last-Event-ID too). */
export function unknownAfterId(
  afterId: string,
  deps: Pick<EventFeedDeps, 'clock' | 'retentionDays'>,
  from: { in: 'query' | 'header'; name: string } = { in: 'query', name: 'after_id' },
): AppError {
  const errors = [{ ...from, detail: 'names no event of your provider' }]
  const cutoff = retentionCutoff(deps.clock(), deps.retentionDays)
  if (ulidTime(afterId) < cutoff.getTime())
    return new AppError(
      'events-expired',
      `Event ${afterId} is older than the ${deps.retentionDays} days the feed keeps, so events after it may be gone. ` +
        'Resynchronise from the ticket lists, then follow the feed again with occurred_after set to when you began.',
      { errors },
    )
  return new AppError('unknown-after-id', `${from.name} ${afterId} names no event of your provider; page with an id the feed gave you.`, {
    errors,
  })
}

/** The events (JSON documents) to answer with, oldest first in feed order. */
export async function readEventFeed(
  deps: EventFeedDeps,
  principal: Principal,
  query: EventFeedQuery,
  waiting: { signal: AbortSignal; slot?: SuspendableSlot | undefined },
): Promise<readonly string[]> {
  const scope = { providerId: principal.providerId }
  const read = async () => {
    const page = await deps.store.readFeed(scope, {
      ...query.filter,
      ...(query.afterId !== undefined ? { afterId: query.afterId } : {}),
      limit: query.limit,
    })
    if (!page.found) throw unknownAfterId(query.afterId!, deps)
    return page
  }
  // limit=0 can never return an event, so there is nothing to wait for.
  const waitMs = query.limit === 0 ? 0 : query.waitMs
  const page = await longPoll({ hub: deps.hub, providerId: principal.providerId, read, waitMs, ...waiting })
  return page.events
}
