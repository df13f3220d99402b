// The one error verifyWebhook throws, with a machine-readable reason: a receiver answers every
// reason with a 4xx and acts on nothing, but logs and alerts differ (a wrong secret is yours to
// fix, a stale timestamp may be a replay or a clock, a bad signature may be an attacker).
export type WebhookFailureReason =
  /** webhook-id, webhook-timestamp or webhook-signature is absent or empty (`header` names it). */
  | 'missing-header'
  /** webhook-timestamp is not whole seconds since 1970. */
  | 'bad-timestamp'
  /** No `v1,` signature matches: another secret, a changed body, id or timestamp, or a forgery. */
  | 'bad-signature'
  /** Signed longer ago than the tolerance (default 5 minutes): a replay, or this clock is off. */
  | 'stale-timestamp'
  /** Signed further ahead than the tolerance: this clock (or the sender's) is off. */
  | 'future-timestamp'
  /** The body passed was not the raw body (a parsed object, say): a mistake in the receiver. */
  | 'not-raw-body'
  /** The secret is not `whsec_` + base64: a mistake in the receiver's configuration. */
  | 'bad-secret'
  /** Signed correctly, but not the `{ type, timestamp, data }` JSON a delivery is. */
  | 'bad-payload'

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError'
  readonly reason: WebhookFailureReason
  /** For `missing-header`: which one. */
  readonly header: string | undefined

  constructor(reason: WebhookFailureReason, detail: string, header?: string) {
    super(`webhook verification failed (${reason}): ${detail}`)
    this.reason = reason
    this.header = header
  }
}
