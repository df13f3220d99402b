// SSE framing: an event's fields, data split into one `data:` line per line (so a line break in
// a document can never end the event or forge a field), comments and the retry hint.
import { describe, expect, it } from 'vitest'
import { commentFrame, eventFrame, retryFrame } from '../../src/http/sse-frames.js'
import { parseBlocks } from '../support/sse.js'

describe('SSE frames', () => {
  it('writes an event as id, event and data lines ended by a blank line', () => {
    expect(eventFrame('01H', 'tickets.ticket.created', '{"a":1}')).toBe('id: 01H\nevent: tickets.ticket.created\ndata: {"a":1}\n\n')
  })

  it('splits data on every kind of line break, and the lines join back to the data', () => {
    const frame = eventFrame('1', 't', 'one\ntwo\r\nthree\rfour')
    expect(frame).toBe('id: 1\nevent: t\ndata: one\ndata: two\ndata: three\ndata: four\n\n')
    expect(parseBlocks(frame)).toEqual([{ id: '1', event: 't', data: 'one\ntwo\nthree\nfour', comments: [] }])
  })

  it('keeps ids and types on one line, whatever they hold', () => {
    expect(eventFrame('1\n\nid: 2', 'a\rb', 'x')).toBe('id: 1id: 2\nevent: ab\ndata: x\n\n')
  })

  it('writes comments and the retry hint as blocks of their own', () => {
    expect(commentFrame('keep-alive')).toBe(': keep-alive\n\n')
    expect(commentFrame('a\nb')).toBe(': ab\n\n')
    expect(retryFrame(1000.4)).toBe('retry: 1000\n\n')
  })
})
