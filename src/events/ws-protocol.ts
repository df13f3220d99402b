// The real partner API's websocket messages (api-notes §4), as text in and text out. A client
// sends {"action":"subscribe-to-event","event_type":…} or "unsubscribe-from-event"; the server
// pushes {"action":"event-received","event_id","event_type","message"} with the event as the
// feed serves it. Beyond the notes, and in the same shape: an acknowledgement of each
// (un)subscription, so a client knows when events start, prefix forms (tickets.ticket.*), and
// {"action":"error","code","detail"} for a message it cannot act on (the notes describe none).
import { FEED_EVENT_TYPES, FEED_TYPE_PREFIXES } from '../contract/event-feed.js'
import type { FeedFilter } from '../store/event-feed.js'
import type { FeedEntry } from './feed-entry.js'

export const SUBSCRIBE = 'subscribe-to-event'
export const UNSUBSCRIBE = 'unsubscribe-from-event'
/** The real API's connector status subscriptions: this service has no connectors. */
const CONNECTOR_ACTIONS = ['subscribe-to-connector', 'unsubscribe-from-connector']

export type ClientMessage = { action: typeof SUBSCRIBE | typeof UNSUBSCRIBE; eventType: string } | ProtocolError

export interface ProtocolError {
  error: 'invalid-message' | 'unknown-action' | 'unsupported-action' | 'invalid-event-type'
  detail: string
  /** The action the message named, when it named one. */
  action?: string
}

const KNOWN: ReadonlySet<string> = new Set([...FEED_EVENT_TYPES, ...FEED_TYPE_PREFIXES])

export function parseClientMessage(data: string): ClientMessage {
  let message: unknown
  try {
    message = JSON.parse(data)
  } catch {
    return {
      error: 'invalid-message',
      detail: 'A message must be a JSON object such as {"action":"subscribe-to-event","event_type":"tickets.ticket.created"}.',
    }
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message))
    return { error: 'invalid-message', detail: 'A message must be a JSON object with an "action".' }
  const { action, event_type: eventType } = message as { action?: unknown; event_type?: unknown }
  if (typeof action !== 'string') return { error: 'invalid-message', detail: 'A message must name its "action" (a string).' }
  if (CONNECTOR_ACTIONS.includes(action))
    return { error: 'unsupported-action', action, detail: `${action} is not supported: this service has events, not connectors.` }
  if (action !== SUBSCRIBE && action !== UNSUBSCRIBE)
    return { error: 'unknown-action', action, detail: `Unknown action ${JSON.stringify(action)}; use ${SUBSCRIBE} or ${UNSUBSCRIBE}.` }
  if (typeof eventType !== 'string' || !KNOWN.has(eventType))
    return {
      error: 'invalid-event-type',
      action,
      detail:
        `event_type must be one of ${FEED_EVENT_TYPES.join(', ')}, or a prefix form: ${FEED_TYPE_PREFIXES.join(', ')}` +
        (typeof eventType === 'string' ? ` (got ${JSON.stringify(eventType)}).` : '.'),
    }
  return { action, eventType }
}

/** The store/tail filter of a set of subscriptions; 'none' while there are none. */
export function subscriptionFilter(eventTypes: ReadonlySet<string>): FeedFilter | 'none' {
  if (eventTypes.size === 0) return 'none'
  const all = [...eventTypes]
  const types = all.filter((t) => !t.endsWith('*'))
  const prefixes = all.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1))
  return { ...(types.length > 0 ? { types } : {}), ...(prefixes.length > 0 ? { typePrefixes: prefixes } : {}) }
}

/** The push of one event; the document is embedded as it is, never parsed and serialised again. */
export function eventReceived(entry: FeedEntry): string {
  return `{"action":"event-received","event_id":${JSON.stringify(entry.id)},"event_type":${JSON.stringify(entry.type)},"message":${entry.doc}}`
}

export function acknowledgement(action: typeof SUBSCRIBE | typeof UNSUBSCRIBE, eventType: string): string {
  return JSON.stringify({ action: action === SUBSCRIBE ? 'subscribed-to-event' : 'unsubscribed-from-event', event_type: eventType })
}

export function errorMessage(error: ProtocolError): string {
  return JSON.stringify({
    action: 'error',
    code: error.error,
    detail: error.detail,
    ...(error.action ? { request_action: error.action } : {}),
  })
}
