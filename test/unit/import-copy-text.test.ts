// Staged rows in COPY's text format (import-copy-text.ts): one row per line, tab-separated in
// COPY_COLUMNS order, \N for null, and the characters the format gives a meaning escaped.
import { describe, expect, it } from 'vitest'
import { COPY_COLUMNS, toCopyText } from '../../src/store/import-copy-text.js'
import { PROVIDER_A, ticket } from '../support/fixtures.js'

describe('toCopyText', () => {
  const row = ticket({ operator_reference: 'a\tb\nc\rd\\e \\N', assigned_at: null, outsourced: true, externally_processed: false })
  const text = toCopyText([{ line: 7, providerId: PROVIDER_A, ticket: row }])
  const fields = text.slice(0, -1).split('\t')
  const field = (column: string) => fields[COPY_COLUMNS.indexOf(column as never)]

  it('writes one line per row with one field per column', () => {
    expect(text.endsWith('\n')).toBe(true)
    expect(text.slice(0, -1)).not.toContain('\n')
    expect(fields).toHaveLength(COPY_COLUMNS.length)
    expect(field('provider_id')).toBe(PROVIDER_A)
    expect(field('line')).toBe('7')
    expect(field('ticket_number')).toBe(String(row.ticket_number))
  })

  it('escapes tab, newline, carriage return and backslash, so no value can end a field or start an escape', () => {
    expect(field('operator_reference')).toBe('a\\tb\\nc\\rd\\\\e \\\\N')
  })

  it('writes null as \\N and booleans as t and f', () => {
    expect(field('assigned_at')).toBe('\\N')
    expect(field('outsourced')).toBe('t')
    expect(field('externally_processed')).toBe('f')
  })
})
