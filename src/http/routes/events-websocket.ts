// GET /wssprd: the live events as the real partner API's websocket serves them (api-notes §4,
// whose server is `wss://…/wssprd`), for clients written against it. The token comes in the
// Authorization header or, for clients that cannot set headers on a websocket, as
// `?access_token=` (never both, RFC 6750 §2). Everything that can be refused is refused before
// the upgrade, as an HTTP problem: no or bad token, too many streams, the store unavailable.
// `@fastify/websocket` (over `ws`) does the protocol; the session (events-websocket-session.ts)
// does the fan-out, from the same shared tail as the SSE stream.
import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { bearerToken, tokenExpiresAt } from '../../auth/token-expiry.js'
import { parseCollectionQuery } from '../../domain/collection-query.js'
import { queryStringOf } from '../../domain/query-string.js'
import { AppError } from '../../errors/app-error.js'
import type { TailLease } from '../../events/stream-tails.js'
import { requireScope } from '../auth-hook.js'
import type { AppContext } from '../context.js'
import { runWebsocketSession } from '../events-websocket-session.js'
import type { OperationDoc } from '../openapi/operation-doc.js'

export const EVENTS_WEBSOCKET_PATH = '/wssprd'

/** Client messages are a few dozen bytes; anything near this is not the protocol. */
const MAX_MESSAGE_BYTES = 4096

const QUERY = {
  access_token: {
    parse: (raw: string) => raw,
    schema: Type.String(),
    description: 'The access token, for websocket clients that cannot send an Authorization header. Not together with one.',
    slug: 'invalid-request' as const,
  },
}

const doc: OperationDoc = {
  operationId: 'eventsWebsocket',
  tags: ['Events'],
  summary: 'Live events over a websocket (the partner API’s protocol)',
  description:
    'A websocket (connect with `Upgrade: websocket`). Send `{"action":"subscribe-to-event","event_type":"tickets.ticket.created"}` ' +
    '(or `unsubscribe-from-event`; `event_type` also takes the prefix forms such as `tickets.ticket.*`); each is acknowledged ' +
    'with `{"action":"subscribed-to-event","event_type":…}` (`unsubscribed-from-event`). Events of your subscriptions committed ' +
    'from then on arrive as `{"action":"event-received","event_id","event_type","message"}`, `message` being the event as the ' +
    'feed returns it. A message the server cannot act on is answered `{"action":"error","code","detail"}` (codes: ' +
    'invalid-message, unknown-action, unsupported-action, invalid-event-type). The server pings every 30 seconds; it closes ' +
    'the socket with 1008 when the access token expires (reconnect with a fresh one), 1013 when the client does not read ' +
    'what it is sent, 1001 when it shuts down. There is no resume: to miss nothing across reconnects, use the SSE stream ' +
    '(GET /v2/system/events/stream) or the feed.',
  query: [{ name: 'access_token', in: 'query', schema: QUERY.access_token.schema, description: QUERY.access_token.description }],
  security: [{ OAuth2: ['tickets:read'] }],
  responses: {
    101: { description: 'Switching Protocols: the websocket is open.' },
    400: 'An unknown query parameter, or the access token sent both in the header and the query (invalid-request).',
    401: 'Missing, malformed, expired or revoked access token.',
    403: 'The token lacks the tickets:read scope.',
    426: 'A plain HTTP request: connect with a websocket client (websocket-required).',
    429: 'Too many streams open for this API client (too-many-streams), or too many requests.',
    503: 'The ticket store is unavailable; retry after the Retry-After delay.',
  },
}

/** Moves `?access_token=` into the Authorization header that requireScope reads. */
async function tokenFromQuery(request: FastifyRequest): Promise<void> {
  const { values } = parseCollectionQuery(queryStringOf(request.url), QUERY)
  if (values.access_token === undefined) return
  if (request.headers.authorization !== undefined)
    throw new AppError('invalid-request', 'Send the access token once: in the Authorization header or as access_token, not both.', {
      errors: [{ in: 'query', name: 'access_token', detail: 'must not be sent with an Authorization header' }],
    })
  request.headers.authorization = `Bearer ${values.access_token}`
}

export async function registerEventsWebsocketRoute(app: FastifyInstance, context: AppContext): Promise<void> {
  await app.register(websocket, { options: { maxPayload: MAX_MESSAGE_BYTES } })
  const held = new WeakMap<FastifyRequest, { lease: TailLease; release: () => void }>()
  app.route({
    method: 'GET',
    url: EVENTS_WEBSOCKET_PATH,
    config: { openapi: doc },
    onRequest: [tokenFromQuery, requireScope(context, 'tickets:read')],
    // Before the upgrade, so that a refusal is an HTTP problem the client can read.
    preHandler: async (request) => {
      if (!request.ws) return
      const releaseStream = context.streams.admit(request.principal.clientId)
      let lease: TailLease
      try {
        lease = await context.tails.acquire(request.principal.providerId)
      } catch (error) {
        releaseStream()
        throw error
      }
      const release = () => {
        lease.release()
        releaseStream()
        request.clientSlot.finish()
      }
      held.set(request, { lease, release })
      // Whatever happens to the upgrade (a bad handshake included), the socket's end releases all.
      request.raw.socket.once('close', release)
      // An open websocket costs no database connection: the slot is taken again only to catch up.
      request.clientSlot.suspend()
    },
    handler: async () => {
      throw new AppError('websocket-required', 'This is a websocket: connect with a websocket client (Upgrade: websocket).', {
        headers: { upgrade: 'websocket' },
      })
    },
    wsHandler: (socket, request) => {
      const { lease, release } = held.get(request)!
      const token = bearerToken(request.headers.authorization)
      runWebsocketSession({
        socket,
        tail: lease.tail,
        store: context.store,
        settings: context.streamSettings,
        endsBy: token === undefined ? undefined : tokenExpiresAt(token),
        now: () => context.clock().getTime(),
        stopping: context.stopping,
        slot: request.clientSlot,
        log: request.log,
        onEnd: release,
      })
    },
  })
}
