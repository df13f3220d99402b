// The RateLimit and RateLimit-Policy response fields of draft-ietf-httpapi-ratelimit-headers
// (revision 10): Structured Field lists (RFC 9651) of quota policies, each named by a string.
//   RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400   (quota q per window w seconds)
//   RateLimit: "burst";r=0;t=7                                       (r remaining, more in t seconds)
// Parsed leniently where the draft is still moving (a token name is taken like a string), and
// strictly where it matters: a field that is not a valid list is ignored as a whole.

export interface RateLimitState {
  /** The quota policy this is about: of those the last RateLimit field named, the one with the least remaining. */
  policy: string
  /** Quota units left (`r`). */
  remaining: number
  /** When more quota becomes available (`t` seconds after `observedAt`), if the server said. */
  resetAt: Date | undefined
  /** The policy's quota (`q` of RateLimit-Policy), if that field named the same policy. */
  limit: number | undefined
  /** The policy's window in seconds (`w` of RateLimit-Policy), if given. */
  windowSeconds: number | undefined
  /** When the response carrying it arrived (by the client's clock). */
  observedAt: Date
}

type BareItem = string | number | boolean | { token: string } | { bytes: string }

interface ListMember {
  value: BareItem
  params: Map<string, BareItem>
}

/** An RFC 9651 List of Items (no inner lists: neither field uses them); undefined if malformed. */
export function parseStructuredList(input: string): ListMember[] | undefined {
  const text = input.replace(/^[ \t]+|[ \t]+$/g, '')
  let i = 0
  const fail = (): never => {
    throw new SyntaxError('not a structured field list')
  }
  const bareItem = (): BareItem => {
    const c = text[i]
    if (c === undefined) return fail()
    if (c === '-' || (c >= '0' && c <= '9')) {
      const match = /^-?\d{1,15}(\.\d{1,3})?/.exec(text.slice(i))
      if (!match || (match[1] && match[0].replace(/^-/, '').split('.')[0]!.length > 12)) return fail()
      i += match[0].length
      return Number(match[0])
    }
    if (c === '"') {
      let value = ''
      for (i++; ; i++) {
        const d = text[i]
        if (d === undefined) return fail()
        if (d === '"') {
          i++
          return value
        }
        if (d === '\\') {
          const e = text[++i]
          if (e !== '"' && e !== '\\') return fail()
          value += e
        } else if (d < ' ' || d > '~') return fail()
        else value += d
      }
    }
    if (c === '*' || /[A-Za-z]/.test(c)) {
      const match = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/.exec(text.slice(i))!
      i += match[0].length
      return { token: match[0] }
    }
    if (c === ':') {
      const match = /^:([A-Za-z0-9+/=]*):/.exec(text.slice(i))
      if (!match) return fail()
      i += match[0].length
      return { bytes: match[1]! }
    }
    if (c === '?') {
      const d = text[i + 1]
      if (d !== '0' && d !== '1') return fail()
      i += 2
      return d === '1'
    }
    return fail()
  }
  const params = (): Map<string, BareItem> => {
    const map = new Map<string, BareItem>()
    while (text[i] === ';') {
      i++
      while (text[i] === ' ') i++
      const match = /^[a-z*][a-z0-9_\-.*]*/.exec(text.slice(i))
      if (!match) return fail()
      i += match[0].length
      let value: BareItem = true
      if (text[i] === '=') {
        i++
        value = bareItem()
      }
      map.set(match[0], value)
    }
    return map
  }
  try {
    const members: ListMember[] = []
    while (i < text.length) {
      const value = bareItem()
      members.push({ value, params: params() })
      while (text[i] === ' ' || text[i] === '\t') i++
      if (i >= text.length) break
      if (text[i] !== ',') return fail()
      i++
      while (text[i] === ' ' || text[i] === '\t') i++
      if (i >= text.length) return fail()
    }
    return members
  } catch {
    return undefined
  }
}

const nameOf = (value: BareItem): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'object' && 'token' in value ? value.token : undefined
const countOf = (value: BareItem | undefined): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined

export interface RateLimitItem {
  policy: string
  remaining: number
  resetSeconds: number | undefined
}

/** The RateLimit field's items that have a name and a valid `r`; [] when absent or malformed. */
export function parseRateLimit(value: string | null): RateLimitItem[] {
  if (value === null) return []
  const items: RateLimitItem[] = []
  for (const member of parseStructuredList(value) ?? []) {
    const policy = nameOf(member.value)
    const remaining = countOf(member.params.get('r'))
    if (policy === undefined || remaining === undefined) continue
    items.push({ policy, remaining, resetSeconds: countOf(member.params.get('t')) })
  }
  return items
}

export interface RateLimitPolicy {
  policy: string
  quota: number
  windowSeconds: number | undefined
}

/** The RateLimit-Policy field's policies that have a name and a valid `q`. */
export function parseRateLimitPolicy(value: string | null): RateLimitPolicy[] {
  if (value === null) return []
  const policies: RateLimitPolicy[] = []
  for (const member of parseStructuredList(value) ?? []) {
    const policy = nameOf(member.value)
    const quota = countOf(member.params.get('q'))
    if (policy === undefined || quota === undefined) continue
    policies.push({ policy, quota, windowSeconds: countOf(member.params.get('w')) })
  }
  return policies
}

/**
 * How long the RateLimit field says to wait, in milliseconds: the longest `t` among the
 * policies with nothing left (`r=0`). Undefined when no policy is exhausted, or none says when.
 */
export function rateLimitWaitMs(headers: Headers): number | undefined {
  const waits = parseRateLimit(headers.get('ratelimit'))
    .filter((item) => item.remaining === 0 && item.resetSeconds !== undefined)
    .map((item) => item.resetSeconds! * 1000)
  return waits.length > 0 ? Math.max(...waits) : undefined
}

/** What a response says about the rate limit, or undefined when it carries no usable RateLimit field. */
export function rateLimitStateOf(headers: Headers, now: Date): RateLimitState | undefined {
  const items = parseRateLimit(headers.get('ratelimit'))
  if (items.length === 0) return undefined
  // The tightest: least remaining, then the longest until more arrives.
  const tightest = items.reduce((a, b) =>
    b.remaining < a.remaining || (b.remaining === a.remaining && (b.resetSeconds ?? 0) > (a.resetSeconds ?? 0)) ? b : a,
  )
  const policy = parseRateLimitPolicy(headers.get('ratelimit-policy')).find((p) => p.policy === tightest.policy)
  return {
    policy: tightest.policy,
    remaining: tightest.remaining,
    resetAt: tightest.resetSeconds === undefined ? undefined : new Date(now.getTime() + tightest.resetSeconds * 1000),
    limit: policy?.quota,
    windowSeconds: policy?.windowSeconds,
    observedAt: now,
  }
}
