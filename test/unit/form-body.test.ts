// parseForm: repeated names stay visible, in order, and parsing stays linear in the body.
import { expect, it } from 'vitest'
import { parseForm } from '../../src/http/form-body.js'

it('keeps every value of a repeated name, in order', () => {
  const form = parseForm('scope=a&client_id=x&scope=b&scope=')
  expect(form.get('scope')).toEqual(['a', 'b', ''])
  expect(form.get('client_id')).toEqual(['x'])
})

it('parses a million repetitions of one name (the quadratic copy took minutes)', () => {
  // No timing assertion: the suite's per-test timeout is the bound. Appending by copying the
  // list grew as n²/2 element copies (5·10¹¹ here); appending in place is n.
  const form = parseForm('a&'.repeat(1_000_000))
  expect(form.get('a')).toHaveLength(1_000_000)
})
