// Splits a raw query string into decoded (name, value) pairs in their original order.
// Done by hand rather than with a generic parser because the contract depends on details
// those parsers erase: repeated keys, key order, `vin` without a value, bracket keys.
import { AppError } from '../errors/app-error.js'

export type QueryPair = readonly [name: string, value: string]

function decode(component: string): string | undefined {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

export function splitQueryString(queryString: string): QueryPair[] {
  const pairs: QueryPair[] = []
  for (const segment of queryString.split('&')) {
    if (segment === '') continue
    const eq = segment.indexOf('=')
    const rawName = eq === -1 ? segment : segment.slice(0, eq)
    const rawValue = eq === -1 ? '' : segment.slice(eq + 1)
    const name = decode(rawName)
    const value = decode(rawValue)
    if (name === undefined || value === undefined) {
      const shown = name ?? rawName
      throw new AppError('invalid-query', `The query string has a malformed percent-encoding in "${shown}".`, {
        errors: [{ in: 'query', name: shown, detail: 'is not valid percent-encoded UTF-8' }],
      })
    }
    pairs.push([name, value])
  }
  return pairs
}

/** The query part of a request URL, without the `?`. */
export function queryStringOf(url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return ''
  const hash = url.indexOf('#', q)
  return url.slice(q + 1, hash === -1 ? undefined : hash)
}
