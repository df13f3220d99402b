// Whether a URL may be a webhook endpoint, decided when an endpoint is created or re-pointed:
// https only, no credentials or fragment, and a host that resolves to public addresses only.
// The same address rules hold again at every connection (guarded-lookup.ts), because DNS may
// answer differently then (rebinding): this check tells the provider early, that one protects.
import { lookup as dnsLookup } from 'node:dns/promises'
import { AppError } from '../errors/app-error.js'
import { addressRefusal, ipLiteralOf } from './address-policy.js'

export interface ResolvedAddress {
  address: string
  family: number
}

/** Every address of a host name, as getaddrinfo answers (the resolver connections use too). */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>

export interface TargetPolicy {
  /** TICKETS_WEBHOOKS_ALLOW_PRIVATE: private addresses and plain http are allowed. */
  allowPrivate: boolean
  /** Replaces the system resolver (tests simulate hosts that resolve to chosen addresses). */
  resolve?: ResolveHost
}

const RESOLVE_TIMEOUT_MS = 5_000
/** As stored (webhook_endpoints_url_length). */
const MAX_URL_LENGTH = 2048

export const resolveWithSystem: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true })

/** Why the URL's form is refused (scheme, credentials, fragment), or undefined. */
export function urlFormRefusal(url: URL, allowPrivate: boolean): string | undefined {
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    return allowPrivate ? 'must be an http or https URL' : 'must be an https URL'
  if (url.username !== '' || url.password !== '') return 'must not carry credentials (the signature authenticates us to you)'
  if (url.hash !== '') return 'must not have a fragment'
  return undefined
}

const refused = (detail: string) =>
  new AppError('webhook-url-refused', `The webhook URL ${detail}.`, { errors: [{ in: 'body', name: 'url', detail }] })

async function resolveInTime(resolve: ResolveHost, hostname: string): Promise<ResolvedAddress[]> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEOUT' })), RESOLVE_TIMEOUT_MS)
  })
  try {
    return await Promise.race([resolve(hostname), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The URL as it will be stored (normalised), or a 422 webhook-url-refused saying why not. */
export async function checkWebhookUrl(raw: string, policy: TargetPolicy): Promise<string> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw refused('is not an absolute URL')
  }
  const formRefusal = urlFormRefusal(url, policy.allowPrivate)
  if (formRefusal !== undefined) throw refused(formRefusal)
  // Normalising percent-encodes: a URL within the body's limit may grow past what is stored.
  if (url.href.length > MAX_URL_LENGTH) throw refused(`is longer than ${MAX_URL_LENGTH} characters once normalised`)
  if (policy.allowPrivate) return url.href
  const literal = ipLiteralOf(url.hostname)
  const addresses = literal !== undefined ? [literal] : await resolveAll(policy.resolve ?? resolveWithSystem, url.hostname)
  for (const address of addresses) {
    const refusal = addressRefusal(address)
    if (refusal !== undefined)
      throw refused(literal !== undefined ? `host ${address} is ${refusal}` : `host ${url.hostname} resolves to ${address}, ${refusal}`)
  }
  return url.href
}

async function resolveAll(resolve: ResolveHost, hostname: string): Promise<string[]> {
  try {
    const addresses = (await resolveInTime(resolve, hostname)).map((entry) => entry.address)
    if (addresses.length === 0) throw refused(`host ${hostname} has no addresses`)
    return addresses
  } catch (error) {
    if (error instanceof AppError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw refused(
      code === 'ENOTFOUND' || code === 'ENODATA'
        ? `host ${hostname} does not resolve`
        : `host ${hostname} could not be resolved now (${code ?? 'error'}); try again`,
    )
  }
}
