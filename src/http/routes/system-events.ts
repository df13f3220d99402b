// GET /v2/system/events: the provider-wide events feed, oldest first in an order that never
// skips (see store/event-feed-sql.ts), with free filter combinations and long polling (`wait`).
import type { FastifyInstance } from 'fastify'
import { EventFeedSchema } from '../../contract/event-feed.js'
import { collectionParameters } from '../../domain/collection-query.js'
import { readEventFeed } from '../../domain/event-feed.js'
import { EVENT_FEED_QUERY, parseEventFeedQuery } from '../../domain/event-feed-query.js'
import { queryStringOf } from '../../domain/query-string.js'
import type { AppContext } from '../context.js'
import type { OperationDoc } from '../openapi/operation-doc.js'

export const SYSTEM_EVENTS_PATH = '/v2/system/events'

const doc: OperationDoc = {
  operationId: 'listEvents',
  tags: ['Events'],
  summary: 'Retrieve all events',
  description:
    'Every change to your provider’s tickets (and events of your provider itself, such as a webhook endpoint disabled), in ' +
    'feed order: the order in which they became visible, which is oldest first and never changes. Page with after_id = the ' +
    'last id you received: you get every event exactly once, even when writers commit out of order. Filters combine freely. ' +
    'With wait, a request that finds nothing new is held until an event arrives or the time is up (long polling). Events are ' +
    'kept for a retention period (30 days by default); an after_id older than that answers 410 (resynchronise from the ticket lists).',
  query: collectionParameters(EVENT_FEED_QUERY),
  responses: {
    200: { description: 'The events after after_id, oldest first.', schema: EventFeedSchema },
    400: 'A parameter is unknown or has a bad value, a type is unknown (the problem lists the valid ones), or after_id names no event of your provider.',
    410: 'after_id is older than the retention period (events-expired): resynchronise from the ticket lists.',
  },
}

export function registerSystemEventRoutes(app: FastifyInstance, context: AppContext): void {
  app.get(SYSTEM_EVENTS_PATH, { config: { scope: 'tickets:read', openapi: doc } }, async (request, reply) => {
    const query = parseEventFeedQuery(queryStringOf(request.url))
    // A held request ends when its client leaves or the server stops, answering what it has.
    const done = new AbortController()
    const stop = () => done.abort()
    reply.raw.once('close', stop)
    context.stopping.addEventListener('abort', stop, { once: true })
    // The client may have gone before the handler ran ('close' fired already), or the server may be closing.
    if (context.stopping.aborted || reply.raw.closed) stop()
    try {
      const deps = { store: context.store, hub: context.hub, clock: context.clock, retentionDays: context.eventRetentionDays }
      const events = await readEventFeed(deps, request.principal, query, { signal: done.signal, slot: request.clientSlot })
      // The server is closing and waits for every connection: this one must not stay open for the next poll.
      if (context.stopping.aborted) reply.header('connection', 'close')
      return reply.type('application/json; charset=utf-8').send(`{"query":${JSON.stringify(query.echo)},"result":[${events.join(',')}]}`)
    } finally {
      reply.raw.off('close', stop)
      context.stopping.removeEventListener('abort', stop)
    }
  })
}
