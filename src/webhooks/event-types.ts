// An endpoint's event_types: exact known types, or a prefix form `a.b.*` that names whole
// segments of known types (`tickets.ticket.*`, `tickets.*`, `webhook.*`). Checked when an
// endpoint is created or changed; matched by the dispatcher for every event it reads.
import { SUBSCRIBABLE_EVENT_TYPES } from '../contract/webhook-endpoint.js'

const KNOWN: ReadonlySet<string> = new Set(SUBSCRIBABLE_EVENT_TYPES)

/** Every `a.` and `a.b.` that starts a known type: the prefixes a `.*` selector may name. */
const KNOWN_PREFIXES: ReadonlySet<string> = new Set(
  SUBSCRIBABLE_EVENT_TYPES.flatMap((type) => {
    const segments = type.split('.')
    return segments.slice(0, -1).map((_, index) => `${segments.slice(0, index + 1).join('.')}.`)
  }),
)

/** Why a selector is refused, or undefined when it is a known type or prefix. */
export function eventTypeRefusal(selector: string): string | undefined {
  if (selector.endsWith('.*')) {
    const prefix = selector.slice(0, -1)
    return KNOWN_PREFIXES.has(prefix)
      ? undefined
      : `"${selector}" names no known event types (known prefixes: ${[...KNOWN_PREFIXES].map((p) => `${p}*`).join(', ')})`
  }
  if (selector.includes('*')) return `"${selector}" is not a type: a wildcard may only end a prefix, as in tickets.ticket.*`
  return KNOWN.has(selector) ? undefined : `"${selector}" is not a known event type (known: ${SUBSCRIBABLE_EVENT_TYPES.join(', ')})`
}

/** The reasons a list of selectors is refused (duplicates included); empty when it is fine. */
export function eventTypesRefusals(selectors: readonly string[]): string[] {
  const refusals: string[] = []
  const seen = new Set<string>()
  for (const selector of selectors) {
    if (seen.has(selector)) refusals.push(`"${selector}" is listed twice`)
    seen.add(selector)
    const refusal = eventTypeRefusal(selector)
    if (refusal !== undefined) refusals.push(refusal)
  }
  return refusals
}

/** Whether an event of `type` is delivered to an endpoint subscribed to `selectors`. */
export function matchesEventTypes(selectors: readonly string[], type: string): boolean {
  return selectors.some((selector) => (selector.endsWith('.*') ? type.startsWith(selector.slice(0, -1)) : selector === type))
}
