// GET /v2/system/events/stream: the events feed as Server-Sent Events, for partners who want
// changes pushed over plain HTTP (proxies and corporate networks included). Everything that can
// be refused is refused before the stream starts, as a problem: bad parameters, an unknown or
// expired Last-Event-ID, too many streams. Then the stream follows the provider's shared tail
// (see events/follower.ts) until its lifetime is up; the client resumes with Last-Event-ID.
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { bearerToken, tokenExpiresAt } from '../../auth/token-expiry.js'
import { ULID_PATTERN } from '../../contract/ticket-event.js'
import { collectionParameters } from '../../domain/collection-query.js'
import { unknownAfterId } from '../../domain/event-feed.js'
import { EVENT_STREAM_QUERY, parseEventStreamQuery, START_OF_FEED } from '../../domain/event-stream-query.js'
import { queryStringOf } from '../../domain/query-string.js'
import type { TailLease } from '../../events/stream-tails.js'
import type { AppContext } from '../context.js'
import { openSseSession, POSITION_EVENT } from '../event-stream-session.js'
import type { OperationDoc } from '../openapi/operation-doc.js'

export const EVENT_STREAM_PATH = '/v2/system/events/stream'

const doc: OperationDoc = {
  operationId: 'streamEvents',
  tags: ['Events'],
  summary: 'Follow the events live (Server-Sent Events)',
  description:
    'The events feed pushed as they are committed, as text/event-stream: each event is `id:` its id, `event:` its type and ' +
    '`data:` the event as the feed returns it, in feed order. Filters as on the feed. Without Last-Event-ID or after_id the ' +
    'stream starts at the current end of the feed and first sends a `' +
    POSITION_EVENT +
    '` event carrying that position (for the history, page the feed). ' +
    'Reconnect with Last-Event-ID (an EventSource does so by itself) to resume with nothing skipped or repeated. ' +
    'A `: keep-alive` comment comes every 15 seconds, and the server ends every stream after 4 to 5 minutes (by default; and when the ' +
    `access token expires, or it shuts down), after a last \`${POSITION_EVENT}\` event: reconnect and resume. ` +
    `A provider without any event yet is at ${START_OF_FEED}, the position before every event.`,
  query: collectionParameters(EVENT_STREAM_QUERY),
  headers: {
    'Last-Event-ID': Type.String({
      pattern: ULID_PATTERN,
      description: 'Resume after this event (the last `id:` received). Wins over after_id.',
    }),
  },
  responses: {
    200: {
      description: 'The stream. It never ends by itself before its lifetime; reconnect when it does.',
      mediaType: 'text/event-stream',
      schema: Type.String({
        description: 'Server-Sent Events: `id:`, `event:` (the event type) and `data:` (the event JSON) per event.',
        example: `retry: 1000\n\nid: 01HWTCTT509VV8X9XYGPTR5N8Q\nevent: tickets.ticket.created\ndata: {"id":"01HWTCTT509VV8X9XYGPTR5N8Q","type":"tickets.ticket.created",…}\n\n: keep-alive\n\n`,
      }),
    },
    400: 'A parameter is unknown or has a bad value, Last-Event-ID is not an event id, or the position names no event of your provider.',
    410: 'The position is older than the retention period (events-expired): resynchronise from the ticket lists.',
    429: 'Too many streams open for this API client (too-many-streams), or too many requests (rate-limited).',
  },
}

export function registerEventStreamRoute(app: FastifyInstance, context: AppContext): void {
  app.get(EVENT_STREAM_PATH, { config: { scope: 'tickets:read', openapi: doc } }, async (request, reply) => {
    const query = parseEventStreamQuery(queryStringOf(request.url), request.headers['last-event-id'])
    const { principal } = request
    const scope = { providerId: principal.providerId }
    const releaseStream = context.streams.admit(principal.clientId)
    let lease: TailLease
    try {
      const { start } = query
      if (start.at === 'after' && start.afterId !== undefined) {
        const known = await context.store.readFeed(scope, { afterId: start.afterId, limit: 0 })
        if (!known.found)
          throw unknownAfterId(start.afterId, { clock: context.clock, retentionDays: context.eventRetentionDays }, start.from)
      }
      lease = await context.tails.acquire(principal.providerId)
    } catch (error) {
      releaseStream()
      throw error
    }
    // Waiting costs no database connection: the slot is taken again only for catch-up reads.
    request.clientSlot.suspend()
    // The stream's own heartbeat, drain timeout and lifetime bound it; the server's idle-socket
    // timeout (sized for ordinary requests) must not cut it. Node re-arms keep-alive after it.
    request.raw.socket?.setTimeout(0)
    const token = bearerToken(request.headers.authorization)
    const body = openSseSession({
      tail: lease.tail,
      store: context.store,
      filter: query.filter,
      start: query.start.at === 'end' ? 'tail' : { after: query.start.afterId },
      settings: context.streamSettings,
      endsBy: token === undefined ? undefined : tokenExpiresAt(token),
      now: () => context.clock().getTime(),
      stopping: context.stopping,
      slot: request.clientSlot,
      log: request.log,
      drop: () => reply.raw.destroy(),
      onEnd: () => {
        lease.release()
        releaseStream()
      },
    })
    return reply
      .code(200)
      .headers({
        'content-type': 'text/event-stream; charset=utf-8',
        // Every byte as it is written: no cache may keep it, no proxy may hold it back.
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      })
      .send(body)
  })
}
