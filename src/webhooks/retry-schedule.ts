// What happens after a failed attempt: retry when, or disable the endpoint.
//
// - The specification's schedule: retries 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after the
//   failure before, each with ±10% jitter so that endpoints failing together do not retry in
//   lockstep. Once the schedule is spent the event keeps its turn and is retried every 10 h:
//   events of an endpoint go in feed order, so dropping it would deliver later events without it.
// - An endpoint whose every attempt failed for 5 days is disabled (the last retry is moved to
//   that deadline, so it is never later than 5 days). The provider learns why from the endpoint's
//   disabled_reason and a webhook.endpoint.disabled event, and brings it back with PATCH and recover.
// - 410 Gone means the receiver wants no more: disabled at once.
// - 429 and 503 with Retry-After: that delay instead of the schedule's (bounded to 5 s .. 24 h,
//   plus up to 10% jitter, never earlier than asked).
export const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const
export const JITTER = 0.1
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3_600_000
export const RETRY_AFTER_MIN_MS = 5_000
export const RETRY_AFTER_MAX_MS = 24 * 3_600_000

export interface Failure {
  /** The attempt that failed (1 for the first). */
  attempt: number
  status: number | null
  retryAfter: string | undefined
  /** Since when every attempt has failed, this one included. */
  failingSince: Date
  now: Date
}

export type NextStep = { kind: 'retry'; at: Date } | { kind: 'disable'; reason: string }

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date; undefined when unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^[0-9]+$/.test(trimmed)) return Number(trimmed) * 1000
  // An HTTP-date names its day and month ("Fri, 01 Jan 2027 00:02:00 GMT"); Date.parse alone
  // would read "-5" as a year.
  const date = /[A-Za-z]{3}/.test(trimmed) ? Date.parse(trimmed) : Number.NaN
  return Number.isNaN(date) ? undefined : date - now.getTime()
}

/** The schedule's delay after `attempt` failed, jittered by `random` (0..1). */
export function scheduledDelayMs(attempt: number, random: () => number): number {
  const base = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length) - 1]!
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()))
}

export function nextStep(failure: Failure, random: () => number): NextStep {
  if (failure.status === 410) return { kind: 'disable', reason: 'The endpoint answered 410 Gone.' }
  const deadline = failure.failingSince.getTime() + DISABLE_AFTER_FAILING_MS
  if (failure.now.getTime() >= deadline)
    return { kind: 'disable', reason: `Every delivery attempt failed for 5 days (since ${failure.failingSince.toISOString()}).` }
  const asked = parseRetryAfter(failure.retryAfter, failure.now)
  const delay =
    asked === undefined
      ? scheduledDelayMs(failure.attempt, random)
      : Math.round(Math.min(Math.max(asked, RETRY_AFTER_MIN_MS), RETRY_AFTER_MAX_MS) * (1 + JITTER * random()))
  return { kind: 'retry', at: new Date(Math.min(failure.now.getTime() + delay, deadline)) }
}
