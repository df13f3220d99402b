// application/x-www-form-urlencoded bodies, keeping repeated names visible: RFC 6749 §3.2
// forbids sending a token-request parameter more than once.
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
  for (const [name, value] of pairs) form.set(name, [...(form.get(name) ?? []), value])
  return form
}
