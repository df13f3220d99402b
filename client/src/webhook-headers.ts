// Reading the Standard Webhooks headers from what a receiver has at hand: node:http's
// `request.headers` (lower-case names, an array for a repeated header), a plain object written
// by hand in any case, or a fetch-style Headers.
import { WebhookVerificationError } from './webhook-error.js'

/** A Headers (fetch, Request.headers) or a plain object such as node:http's `request.headers`. */
export type WebhookHeaders = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>>

const hasGet = (headers: WebhookHeaders): headers is { get(name: string): string | null } =>
  typeof (headers as { get?: unknown }).get === 'function'

/** A function returning the named header's value, or throwing `missing-header` when it is absent or empty. */
export function headerReader(headers: WebhookHeaders): (name: string) => string {
  if (typeof headers !== 'object' || headers === null)
    throw new TypeError('verifyWebhook: headers must be a Headers or an object of header names to values')
  let read: (name: string) => string | undefined
  if (hasGet(headers)) read = (name) => headers.get(name) ?? undefined
  else {
    const byName = new Map<string, string>()
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue
      // A repeated header comes as an array; its values joined with a space read as one list,
      // which is how several signatures are meant to arrive anyway.
      const text = typeof value === 'string' ? value : value.join(' ')
      const key = name.toLowerCase()
      byName.set(key, byName.has(key) ? `${byName.get(key)} ${text}` : text)
    }
    read = (name) => byName.get(name)
  }
  return (name) => {
    const value = read(name)?.trim()
    if (!value) throw new WebhookVerificationError('missing-header', `the ${name} header is missing`, name)
    return value
  }
}
