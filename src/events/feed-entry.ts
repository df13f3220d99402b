// An event as the live stream holds it in memory: its JSON document as the feed serves it, and
// the members its filters look at, read once when the provider's shared tail reads it (never
// once per subscriber). `matchesFilter` is the feed's WHERE clause (event-feed-sql.ts) in memory:
// every subscriber at the tail picks its events from the same entries.
import { instantKey, parseDateTime } from '../domain/values.js'
import type { FeedFilter } from '../store/event-feed.js'

export interface FeedEntry {
  id: string
  type: string
  /** The ticket the event belongs to (lower case); undefined for events of the provider itself. */
  ticketId: string | undefined
  /** When it occurred, as a sortable key (see instantKey). */
  occurredAt: string
  /** The event document, exactly as the feed answers it. */
  doc: string
}

interface EventDoc {
  id: string
  type: string
  occurred_at: string
  payload?: { ticket?: { id?: string } }
}

export function toFeedEntry(doc: string): FeedEntry {
  const parsed = JSON.parse(doc) as EventDoc
  return {
    id: parsed.id,
    type: parsed.type,
    ticketId: parsed.payload?.ticket?.id?.toLowerCase(),
    occurredAt: occurredKey(parsed.occurred_at),
    doc,
  }
}

/** Every document the store writes has an RFC 3339 occurred_at; anything else sorts first rather than stop the tail. */
function occurredKey(occurredAt: string): string {
  try {
    return instantKey(parseDateTime(occurredAt))
  } catch {
    return ''
  }
}

export function matchesFilter(entry: FeedEntry, filter: FeedFilter): boolean {
  const types = filter.types ?? []
  const prefixes = filter.typePrefixes ?? []
  if ((types.length > 0 || prefixes.length > 0) && !types.includes(entry.type) && !prefixes.some((p) => entry.type.startsWith(p)))
    return false
  if (filter.ticketId !== undefined && entry.ticketId !== filter.ticketId) return false
  // The SQL compares timestamptz (microseconds); so do these keys.
  if (filter.occurredAfter !== undefined && !(entry.occurredAt > instantKey(filter.occurredAfter))) return false
  return true
}
