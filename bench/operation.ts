// One request of a scenario, as the HTTP load and the SQL yardstick replay it.
export const TICKETS_PATH = '/v2/tickets/tickets'
export interface Operation {
  scenario: string
  method: 'GET' | 'PATCH' | 'POST'
  providerId: string
  /** Path and query as sent. */
  path: string
  /** The list query string (list operations). */
  query?: string
  /** The ticket (get and patch operations). */
  ticketId?: string
  body?: string
  /** A page of the events feed (bench/feed.ts). */
  feed?: { afterId: string; limit: number }
  /** A lifecycle transition: valid once per ticket, so the list is consumed, never replayed. */
  consumes?: boolean
}
