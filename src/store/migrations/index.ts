// The ordered list of migrations. Versions are positions in this list and never change.
import * as initial from './0001-initial.js'
import * as ticketCounts from './0002-ticket-counts.js'
import * as clientNotifications from './0003-client-notifications.js'
import * as descendingNullSorts from './0004-descending-null-sorts.js'
import * as ticketDocuments from './0005-ticket-documents.js'
import * as signingKeyRotation from './0006-signing-key-rotation.js'
import * as lifecycle from './0007-lifecycle.js'
import * as eventFeed from './0008-event-feed.js'
import * as shardedCounts from './0009-sharded-counts.js'
import * as webhooks from './0010-webhooks.js'

export interface Migration {
  version: number
  name: string
  up: string
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, ...initial },
  { version: 2, ...ticketCounts },
  { version: 3, ...clientNotifications },
  { version: 4, ...descendingNullSorts },
  { version: 5, ...ticketDocuments },
  { version: 6, ...signingKeyRotation },
  { version: 7, ...lifecycle },
  { version: 8, ...eventFeed },
  { version: 9, ...shardedCounts },
  { version: 10, ...webhooks },
]
