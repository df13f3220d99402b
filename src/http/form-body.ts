// application/x-www-form-urlencoded bodies, keeping repeated names visible: RFC 6749 §3.2
// forbids sending a token-request parameter more than once.
// Linear in the body's size whatever its shape: each value is appended in place (copying the
// list of a repeated name on every repetition made 20,000 `a&` take seconds), and the body
// itself is capped by the route's small body limit (FORM_BODY_LIMIT_BYTES in body-limits.ts).
import { AppError } from '../errors/app-error.js'
import { splitQueryString } from '../domain/query-string.js'

export type FormBody = Map<string, string[]>

export function parseForm(body: string): FormBody {
  const form: FormBody = new Map()
  let pairs
  try {
    pairs = splitQueryString(body)
  } catch {
    throw new AppError('invalid-request', 'The form body has a malformed percent-encoding.', { members: { error: 'invalid_request' } })
  }
  for (const [name, value] of pairs) {
    const values = form.get(name)
    if (values) values.push(value)
    else form.set(name, [value])
  }
  return form
}
