// NDJSON import validation: each line becomes a normalised ticket or one precise
// `line N: <field>: <reason>`, and a stream of lines becomes batches, or one error listing
// what to fix, with nothing yielded after the first bad line.
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { Ticket } from '../../src/contract/ticket.js'
import { ImportLineError } from '../../src/domain/import-errors.js'
import { ImportFailedError, MAX_REPORTED_ERRORS, parseImportLine, readImportBatches } from '../../src/domain/import-lines.js'
import type { ImportTicket } from '../../src/store/ticket-transfer.js'
import { PROVIDER_A, PROVIDER_B, ticket } from '../support/fixtures.js'

const line = (value: unknown) => JSON.stringify(value)
const without = (field: keyof Ticket) => {
  const { [field]: _dropped, ...rest } = ticket()
  return rest
}

/** The message parseImportLine refuses `text` with (as line 7). */
function refusal(text: string, options: { provider?: string } = { provider: PROVIDER_A }): string {
  try {
    parseImportLine(text, 7, options.provider)
  } catch (error) {
    expect(error).toBeInstanceOf(ImportLineError)
    return (error as Error).message
  }
  throw new Error(`expected ${text.slice(0, 80)} to be refused`)
}

const numbered = (n: number) => ticket({ id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, ticket_number: 5000 + n })

async function readAll(lines: string[], options: { provider?: string; batchSize?: number } = {}) {
  const batches: ImportTicket[][] = []
  let failure: unknown
  try {
    for await (const batch of readImportBatches(
      Readable.from(lines.map((l) => `${l}\n`)),
      options.provider ?? PROVIDER_A,
      options.batchSize,
    ))
      batches.push(batch)
  } catch (error) {
    failure = error
  }
  return { batches, failure }
}

describe('parseImportLine', () => {
  it('returns a valid line unchanged, with its line number and the default provider', () => {
    expect(parseImportLine(line(ticket()), 3, PROVIDER_A)).toEqual({ line: 3, providerId: PROVIDER_A, ticket: ticket() })
  })

  it('refuses half a surrogate pair, naming the field, and keeps a whole pair', () => {
    const lone = JSON.stringify(ticket({ customer_reference: 'ref' })).replace('"ref"', '"ref\\ud800"')
    expect(() => parseImportLine(lone, 7, PROVIDER_A)).toThrow(
      new ImportLineError(7, 'customer_reference', 'contains an unpaired UTF-16 surrogate (a \\uD800–\\uDFFF escape without its pair)'),
    )
    const pair = JSON.stringify(ticket({ customer_reference: 'ref' })).replace('"ref"', '"ref\\ud83d\\ude97"')
    expect(parseImportLine(pair, 8, PROVIDER_A).ticket.customer_reference).toBe('ref🚗')
  })

  it('normalises offset timestamps to UTC and trims fraction zeros', () => {
    const parsed = parseImportLine(
      line(
        ticket({
          created_at: '2024-03-01T12:00:00.500+02:00',
          assigned_at: '2024-03-01t10:05:00z',
          updated_at: '2024-03-01T06:00:00-05:00',
        }),
      ),
      1,
      PROVIDER_A,
    )
    expect(parsed.ticket).toMatchObject({
      created_at: '2024-03-01T10:00:00.5Z',
      assigned_at: '2024-03-01T10:05:00Z',
      updated_at: '2024-03-01T11:00:00Z',
    })
  })

  it('lowercases uppercase UUIDs', () => {
    const upper = ticket({ id: '497F6ECA-6276-4993-BFEB-53CBBBBA6F08', customer_id: '160C0C4B-9966-4DC1-A916-8407EB10D74E' })
    expect(parseImportLine(line(upper), 1, PROVIDER_A).ticket).toEqual(ticket())
  })

  it('takes provider_id from the line over the default, lowercased', () => {
    const parsed = parseImportLine(line({ ...ticket(), provider_id: PROVIDER_B.toUpperCase() }), 1, PROVIDER_A)
    expect(parsed).toEqual({ line: 1, providerId: PROVIDER_B, ticket: ticket() })
    expect(parseImportLine(line({ ...ticket(), provider_id: PROVIDER_B }), 1, undefined).providerId).toBe(PROVIDER_B)
  })

  it('needs a provider from the line or the default', () => {
    expect(refusal(line(ticket()), {})).toBe('line 7: provider_id: is required when --provider is not given')
  })

  it.each([
    ['{"id": ', 'line 7: (line): is not valid JSON'],
    ['{"id": "x",}', 'line 7: (line): is not valid JSON'],
    ['[]', 'line 7: (line): must be a JSON object'],
    ['null', 'line 7: (line): must be a JSON object'],
    ['"ticket"', 'line 7: (line): must be a JSON object'],
    ['42', 'line 7: (line): must be a JSON object'],
  ])('refuses %s as a whole line', (text, message) => {
    expect(refusal(text)).toBe(message)
  })

  it.each<[string, unknown, string]>([
    ['missing field', without('vin'), 'vin: is required'],
    ['missing field', without('created_at'), 'created_at: is required'],
    ['unknown field', { ...ticket(), priority: 1 }, 'priority: is not a Ticket field'],
    ['provider_id of the wrong type', { ...ticket(), provider_id: 5 }, 'provider_id: must be a UUID string'],
    [
      'malformed provider_id',
      { ...ticket(), provider_id: 'a' },
      'provider_id: must be a UUID such as 497f6eca-6276-4993-bfeb-53cbbbba6f08',
    ],
    ['string for an integer', ticket({ ticket_number: '5' as never }), 'ticket_number: must be integer'],
    ['fraction for an integer', ticket({ vehicle_model_id: 1.5 }), 'vehicle_model_id: must be integer'],
    ['integer beyond 2^53', ticket({ ticket_number: 2 ** 53 }), 'ticket_number: must be an integer within ±(2^53-1)'],
    ['string for a boolean', ticket({ externally_processed: 'true' as never }), 'externally_processed: must be boolean'],
    ['number for a nullable string', ticket({ voucher_code: 5 as never }), 'voucher_code: must be either string or null'],
    ['unknown state', ticket({ state: 'open' as never }), 'state: must be equal to one of the allowed values'],
    ['malformed uuid', ticket({ id: 'nope' }), 'id: must match format "uuid"'],
    ['short vin', ticket({ vin: 'JH4KA7630PC00764' }), 'vin: must not have fewer than 17 characters'],
    ['long reference', ticket({ customer_reference: 'x'.repeat(256) }), 'customer_reference: must not have more than 255 characters'],
    ['NUL in a reference', ticket({ external_reference: 'a\u0000b' }), 'external_reference: must not contain the NUL character'],
    ['NUL in a vin', ticket({ vin: 'JH4KA7630PC00764\u0000' }), 'vin: must not contain the NUL character'],
    ['date without time', ticket({ created_at: '2024-03-01' }), 'created_at: must match format "date-time"'],
    ['impossible date', ticket({ finished_at: '2023-02-29T11:00:00Z' }), 'finished_at: must match format "date-time"'],
    ['year 0000', ticket({ created_at: '0000-01-01T00:00:00Z' }), 'created_at: is not a valid calendar date (0000-01-01)'],
    ['leap second', ticket({ updated_at: '2024-03-01T23:59:60Z' }), 'updated_at: is not a valid time of day (23:59:60)'],
    [
      'nanoseconds',
      ticket({ updated_at: '2024-03-01T11:00:00.123456789Z' }),
      'updated_at: must have at most 6 fractional second digits (microseconds)',
    ],
  ])('refuses a %s as `line N: <field>: <reason>`', (_what, value, message) => {
    expect(refusal(line(value))).toBe(`line 7: ${message}`)
  })

  it('refuses a cancel_reason_id outside int32 (the column is an integer)', () => {
    expect(refusal(line(ticket({ state: 'cancelled', cancel_reason_id: 2 ** 31 })))).toMatch(/^line 7: cancel_reason_id: /)
  })

  it.each<[string, Partial<Ticket>, string]>([
    ['cancel reason on a closed ticket', { cancel_reason_id: 3 }, 'cancel_reason_id: must be null for a closed ticket'],
    ['cancelled ticket without a reason', { state: 'cancelled' }, 'cancel_reason_id: is required for a cancelled ticket'],
    ['closed ticket without finished_at', { finished_at: null }, 'finished_at: is required for a closed ticket'],
    ['pending ticket with finished_at', { state: 'pending' }, 'finished_at: must be null for a pending ticket'],
    [
      'prepared ticket with a customer channel',
      { state: 'prepared', finished_at: null },
      'customer_channel_id: must be null for a prepared ticket',
    ],
    ['pending ticket without a vin', { state: 'pending', finished_at: null, vin: null }, 'vin: is required for a pending ticket'],
    [
      'in_progress ticket without an operator',
      { state: 'in_progress', finished_at: null, operator_id: null },
      'operator_id: is required for an in_progress ticket',
    ],
    [
      'in_progress ticket never assigned',
      { state: 'in_progress', finished_at: null, assigned_at: null },
      'assigned_at: is required for an in_progress ticket',
    ],
    [
      'outsourced ticket not flagged outsourced',
      { state: 'outsourced', finished_at: null },
      'outsourced: must be true for an outsourced ticket',
    ],
    [
      'update before creation',
      { created_at: '2024-03-01T10:00:00Z', updated_at: '2024-03-01T09:59:59.999999Z' },
      'updated_at: must not be before created_at',
    ],
    [
      'update before creation by a fraction',
      { created_at: '2024-03-01T10:00:00.5Z', updated_at: '2024-03-01T10:00:00Z' },
      'updated_at: must not be before created_at',
    ],
  ])('refuses a %s', (_what, overrides, message) => {
    expect(refusal(line(ticket(overrides)))).toBe(`line 7: ${message}`)
  })

  it('compares created_at and updated_at as instants, whatever their offsets', () => {
    const t = ticket({ created_at: '2024-03-01T12:00:00+02:00', updated_at: '2024-03-01T10:00:00Z' })
    expect(parseImportLine(line(t), 1, PROVIDER_A).ticket).toMatchObject({
      created_at: '2024-03-01T10:00:00Z',
      updated_at: '2024-03-01T10:00:00Z',
    })
  })

  it('accepts a valid ticket in every state', () => {
    const valid: Partial<Ticket>[] = [
      { state: 'prepared', finished_at: null, customer_channel_id: null, vin: null },
      { state: 'pending', finished_at: null },
      { state: 'in_progress', finished_at: null },
      { state: 'outsourced', finished_at: null, outsourced: true },
      { state: 'closed' },
      { state: 'cancelled', cancel_reason_id: 0 },
    ]
    for (const overrides of valid) expect(parseImportLine(line(ticket(overrides)), 1, PROVIDER_A).ticket).toEqual(ticket(overrides))
  })
})

describe('readImportBatches', () => {
  it('yields batches of the requested size, the last one partial, never an empty one', async () => {
    const five = await readAll(
      [1, 2, 3, 4, 5].map((n) => line(numbered(n))),
      { batchSize: 2 },
    )
    expect(five.failure).toBeUndefined()
    expect(five.batches.map((b) => b.map((t) => t.line))).toEqual([[1, 2], [3, 4], [5]])
    const four = await readAll(
      [1, 2, 3, 4].map((n) => line(numbered(n))),
      { batchSize: 2 },
    )
    expect(four.batches.map((b) => b.length)).toEqual([2, 2])
  })

  it('yields nothing for empty input', async () => {
    expect(await readAll([])).toEqual({ batches: [], failure: undefined })
  })

  it('skips blank lines but keeps counting them in line numbers', async () => {
    const { batches, failure } = await readAll(['', line(numbered(1)), '   ', '\t', line(numbered(2))])
    expect(failure).toBeUndefined()
    expect(batches.flat().map((t) => [t.line, t.ticket.ticket_number])).toEqual([
      [2, 5001],
      [5, 5002],
    ])
  })

  it('reads CRLF line endings and text split across chunks', async () => {
    const text = `${line(numbered(1))}\r\n${line(numbered(2))}\r\n`
    const chunks = [text.slice(0, 10), text.slice(10, 500), text.slice(500)]
    const tickets: ImportTicket[] = []
    for await (const batch of readImportBatches(Readable.from(chunks), PROVIDER_A)) tickets.push(...batch)
    expect(tickets.map((t) => t.ticket)).toEqual([numbered(1), numbered(2)])
  })

  it('reports every bad line (up to 20) at the end, as `line N: <field>: <reason>`', async () => {
    const lines = [line(numbered(1)), 'nope', line(numbered(3)), line(ticket({ ...numbered(4), vin: null }))]
    const { batches, failure } = await readAll(lines)
    expect(batches).toEqual([])
    expect(failure).toBeInstanceOf(ImportFailedError)
    const failed = failure as ImportFailedError
    expect(failed.errors.map((e) => e.message)).toEqual([
      'line 2: (line): is not valid JSON',
      'line 4: vin: is required for a closed ticket',
    ])
    expect(failed.moreErrors).toBe(false)
    expect(failed.message).toBe('line 2: (line): is not valid JSON\nline 4: vin: is required for a closed ticket')
  })

  it('keeps the first 20 errors, says there are more, and still reads to the end', async () => {
    let consumed = 0
    async function* source() {
      for (let n = 1; n <= 30; n++) {
        consumed = n
        yield `${line({ ...ticket(), bad: n })}\n`
      }
      yield `${line(numbered(31))}\n`
      consumed = 31
    }
    const batches: ImportTicket[][] = []
    const attempt = (async () => {
      for await (const batch of readImportBatches(Readable.from(source()), PROVIDER_A)) batches.push(batch)
    })()
    const failure = await attempt.then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(ImportFailedError)
    const failed = failure as ImportFailedError
    expect(failed.errors).toHaveLength(MAX_REPORTED_ERRORS)
    expect(failed.errors[0]!.message).toBe('line 1: bad: is not a Ticket field')
    expect(failed.errors[19]!.message).toBe('line 20: bad: is not a Ticket field')
    expect(failed.moreErrors).toBe(true)
    expect(failed.message.endsWith('\n(further errors not shown)')).toBe(true)
    expect(consumed).toBe(31)
    expect(batches).toEqual([])
  })

  it('yields nothing once a bad line has been seen, not even the pending partial batch', async () => {
    const lines = [1, 2, 3].map((n) => line(numbered(n)))
    lines.push('{', ...[5, 6, 7, 8, 9].map((n) => line(numbered(n))))
    const { batches, failure } = await readAll(lines, { batchSize: 2 })
    // Lines 1–2 filled a batch before the bad line 4 was read; line 3 and everything after it stay back.
    expect(batches.map((b) => b.map((t) => t.line))).toEqual([[1, 2]])
    expect((failure as ImportFailedError).errors.map((e) => e.message)).toEqual(['line 4: (line): is not valid JSON'])
  })

  it('applies the default provider and per-line provider_id in a stream', async () => {
    const { batches } = await readAll([line(numbered(1)), line({ ...numbered(2), provider_id: PROVIDER_B })], { provider: PROVIDER_A })
    expect(batches.flat().map((t) => t.providerId)).toEqual([PROVIDER_A, PROVIDER_B])
  })
})
