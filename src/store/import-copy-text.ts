// Validated import lines → rows of PostgreSQL's COPY text format, for the staging table.
// COPY parses this far faster than PostgreSQL's JSON functions parse the same rows, and it
// is cheaper to produce here than JSON: one string per batch, no intermediate objects.
import type { ImportTicket } from './ticket-transfer.js'
import { TICKET_COLUMNS } from './ticket-row.js'

/** The staged columns in COPY order: the ticket's, its owner, its input line. */
export const COPY_COLUMNS = [...TICKET_COLUMNS, 'provider_id', 'line'] as const

// COPY text format: a backslash starts an escape, and tab and newline separate columns and
// rows; NUL cannot occur (the Ticket schema refuses it in every string).
const SPECIAL = /[\\\t\n\r]/
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N'
  if (typeof value === 'boolean') return value ? 't' : 'f'
  const text = String(value)
  return SPECIAL.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : text
}

/** One batch as COPY text: a row per line, columns in COPY_COLUMNS order. */
export function toCopyText(batch: readonly ImportTicket[]): string {
  let text = ''
  for (const { line, providerId, ticket } of batch) {
    const fields = ticket as unknown as Record<string, unknown>
    for (const column of TICKET_COLUMNS) text += `${copyValue(fields[column])}\t`
    text += `${providerId}\t${line}\n`
  }
  return text
}
