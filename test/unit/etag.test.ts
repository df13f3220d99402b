// Entity tags: one per representation, changed by any change to any field, compared weakly
// for If-None-Match and strongly for If-Match (RFC 9110 §13.1).
import { describe, expect, it } from 'vitest'
import { TICKET_FIELDS, type Ticket } from '../../src/contract/ticket.js'
import { documentEtag, ifMatchHolds, noneMatch } from '../../src/http/etag.js'
import { ticket } from '../support/fixtures.js'

/** A different value of the same kind, for any field of a ticket. */
function changed(value: unknown): unknown {
  if (value === null) return 'x'
  if (typeof value === 'string') return `${value}x`
  if (typeof value === 'number') return value + 1
  if (typeof value === 'boolean') return !value
  throw new Error(`unexpected field value ${String(value)}`)
}

// A stored document is JSON.stringify of its ticket, byte for byte (test/store/store.test.ts).
const documentOf = (t: Ticket) => JSON.stringify(t)

describe('documentEtag', () => {
  it('is a quoted strong tag, the same for equal documents', () => {
    const etag = documentEtag(documentOf(ticket()))
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/)
    expect(documentEtag(documentOf(ticket()))).toBe(etag)
    expect(documentEtag(documentOf(structuredClone(ticket())))).toBe(etag)
  })

  it.each(TICKET_FIELDS)('changes when %s changes', (field) => {
    const original = ticket()
    const modified = { ...original, [field]: changed(original[field]) } as Ticket
    expect(documentEtag(documentOf(modified))).not.toBe(documentEtag(documentOf(original)))
  })

  it('changes when a field goes from a value to null', () => {
    expect(documentEtag(documentOf(ticket({ voucher_code: null })))).not.toBe(documentEtag(documentOf(ticket())))
  })
})

describe('noneMatch (If-None-Match, weak comparison)', () => {
  const etag = '"abc"'

  it('lets the request through without the header', () => {
    expect(noneMatch(undefined, etag)).toBe(true)
  })

  it.each(['"abc"', 'W/"abc"', '"x", "abc"', '"x",W/"abc"', '  "abc"  ', '*', ' * '])('matches %j (→ 304)', (header) => {
    expect(noneMatch(header, etag)).toBe(false)
  })

  it.each(['"x"', '"x", "y"', 'abc', '"ABC"', '', 'W/"x"', '"abc'])('does not match %j (→ 200)', (header) => {
    expect(noneMatch(header, etag)).toBe(true)
  })
})

describe('ifMatchHolds (If-Match, strong comparison)', () => {
  const etag = '"abc"'

  it('holds without the header', () => {
    expect(ifMatchHolds(undefined, etag)).toBe(true)
  })

  it.each(['"abc"', '*', ' * ', '"x", "abc"', '"x","abc"', 'W/"x", "abc"'])('holds for %j', (header) => {
    expect(ifMatchHolds(header, etag)).toBe(true)
  })

  it.each(['W/"abc"', '"x"', '"x", W/"abc"', 'abc', '"ABC"', ''])('fails for %j (→ 412)', (header) => {
    expect(ifMatchHolds(header, etag)).toBe(false)
  })
})
