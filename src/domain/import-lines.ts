// NDJSON import lines → validated ImportTicket batches. Every line is checked against the
// Ticket schema and the state invariants; the first errors are collected (and the rest of
// the file still read) so one run reports what to fix, and nothing is written if any fail.
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { Compile } from 'typebox/compile'
import { TICKET_FIELDS, TicketSchema, type Ticket } from '../contract/ticket.js'
import type { ImportTicket } from '../store/ticket-transfer.js'
import { ImportLineError } from './import-errors.js'
import { ticketViolations } from './ticket-invariants.js'
import { type FieldError, parseDateTime, parseUuid } from './values.js'

const checkTicket = Compile(TicketSchema)
const DATE_FIELDS = ['assigned_at', 'created_at', 'finished_at', 'updated_at'] as const
const UUID_FIELDS = TICKET_FIELDS.filter((f) => (TicketSchema.properties[f] as { format?: string }).format === 'uuid')
const INT64_FIELDS = ['ticket_number', 'vehicle_model_id'] as const

export const MAX_REPORTED_ERRORS = 20

export class ImportFailedError extends Error {
  constructor(
    readonly errors: ImportLineError[],
    readonly moreErrors: boolean,
  ) {
    super(errors.map((e) => e.message).join('\n') + (moreErrors ? '\n(further errors not shown)' : ''))
    this.name = 'ImportFailedError'
  }
}

function fieldOf(instancePath: string, params: Record<string, unknown>): string {
  if (instancePath) return instancePath.slice(1).split('/')[0]!
  const names = (params.requiredProperties ?? params.additionalProperties) as string[] | undefined
  return names?.[0] ?? '(line)'
}

function schemaReason(keyword: string, message: string): string {
  if (keyword === 'required') return 'is required'
  if (keyword === 'additionalProperties' || keyword === 'boolean') return 'is not a Ticket field'
  if (keyword === 'pattern') return 'must not contain the NUL character'
  return message
}

// A date-time already in the form parseDateTime returns (UTC, `Z`, no trailing fractional
// zeros), as exports and most generators write them, needs only its ranges checked: this skips
// parseDateTime's Date arithmetic, a sixth of the import's parsing time on a million lines.
const NORMAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{0,5}[1-9])?Z$/
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** True when parseDateTime(raw) would return raw itself; anything else goes through parseDateTime. */
export function isNormalDateTime(raw: string): boolean {
  const m = NORMAL_DATE_TIME.exec(raw)
  if (!m) return false
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]
  return year >= 1 && days !== undefined && day >= 1 && day <= days && Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 59
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Parses and validates one line; returns the ticket with normalised timestamps and ids. */
export function parseImportLine(text: string, line: number, defaultProvider: string | undefined): ImportTicket {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ImportLineError(line, '(line)', 'is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ImportLineError(line, '(line)', 'must be a JSON object')
  const { provider_id: ownProvider, ...candidate } = value as Record<string, unknown>

  let providerId = defaultProvider
  if (ownProvider !== undefined) {
    if (typeof ownProvider !== 'string') throw new ImportLineError(line, 'provider_id', 'must be a UUID string')
    try {
      providerId = parseUuid(ownProvider)
    } catch (error) {
      throw new ImportLineError(line, 'provider_id', (error as FieldError).message)
    }
  }
  if (!providerId) throw new ImportLineError(line, 'provider_id', 'is required when --provider is not given')

  // Check() is the compiled fast path; the (slow) error list is built only for a bad line.
  const first = checkTicket.Check(candidate) ? undefined : checkTicket.Errors(candidate)[0]
  if (first) {
    const field = fieldOf(first.instancePath, first.params as Record<string, unknown>)
    throw new ImportLineError(line, field, schemaReason(first.keyword, first.message))
  }
  // `candidate` is already this line's own object (the rest of the destructuring): normalised in place.
  const ticket = candidate as Ticket
  for (const field of INT64_FIELDS)
    if (!Number.isSafeInteger(ticket[field])) throw new ImportLineError(line, field, 'must be an integer within ±(2^53-1)')
  // The schema says int32, but the compiled validator does not check integer formats.
  if (ticket.cancel_reason_id !== null && (ticket.cancel_reason_id < -(2 ** 31) || ticket.cancel_reason_id > 2 ** 31 - 1))
    throw new ImportLineError(line, 'cancel_reason_id', 'must be an int32 between -2147483648 and 2147483647')
  for (const field of DATE_FIELDS) {
    const raw = ticket[field]
    if (raw === null) continue
    try {
      ticket[field] = isNormalDateTime(raw) ? raw : parseDateTime(raw)
    } catch (error) {
      throw new ImportLineError(line, field, (error as FieldError).message)
    }
  }
  for (const field of UUID_FIELDS) {
    const raw = ticket[field] as string | null
    if (raw !== null) (ticket as Record<string, unknown>)[field] = raw.toLowerCase()
  }
  const violation = ticketViolations(ticket)[0]
  if (violation) throw new ImportLineError(line, violation.field, violation.reason)
  // JSON may spell half a surrogate pair (\ud800); the database's text cannot hold it, and the
  // COPY encoding would silently store U+FFFD instead. Only a line with such an escape is checked.
  if (SURROGATE_ESCAPE.test(text))
    for (const [field, value] of Object.entries(ticket))
      if (typeof value === 'string' && LONE_SURROGATE.test(value))
        throw new ImportLineError(line, field, 'contains an unpaired UTF-16 surrogate (a \\uD800–\\uDFFF escape without its pair)')
  return { line, providerId, ticket }
}

/**
 * Reads NDJSON from a stream without holding it in memory, yielding batches of valid lines.
 * Blank lines are skipped. Throws ImportFailedError at the end if any line was invalid.
 */
export async function* readImportBatches(
  input: Readable,
  defaultProvider: string | undefined,
  batchSize = 2_000,
): AsyncGenerator<ImportTicket[]> {
  const errors: ImportLineError[] = []
  let moreErrors = false
  let batch: ImportTicket[] = []
  let line = 0
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++
    if (text.trim() === '') continue
    try {
      const parsed = parseImportLine(text, line, defaultProvider)
      if (errors.length > 0) continue
      batch.push(parsed)
      if (batch.length >= batchSize) {
        yield batch
        batch = []
      }
    } catch (error) {
      if (!(error instanceof ImportLineError)) throw error
      if (errors.length < MAX_REPORTED_ERRORS) errors.push(error)
      else moreErrors = true
    }
  }
  if (errors.length > 0) throw new ImportFailedError(errors, moreErrors)
  if (batch.length > 0) yield batch
}
