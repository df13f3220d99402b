// Idempotency-Key on the lifecycle's POSTs: the first successful answer to a (client, key) is
// kept for 24 hours in the same transaction as the change, and a retry with the same key and
// the same request gets that answer again instead of a second change. A failed request keeps
// nothing (its transaction rolled back), so retrying it really retries.
import { createHash } from 'node:crypto'
import { AppError } from '../../errors/app-error.js'
import { RetryTransaction, type LedgerStore, type TicketLedger } from '../../store/ticket-ledger.js'

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000
const KEY = /^[\x21-\x7e]{1,255}$/

export interface IdempotencyKey {
  key: string
  /** A digest of what was asked (method, path, body), so a reused key with another request is caught. */
  fingerprint: string
}

export interface Answer {
  status: 200 | 201
  document: string
  location: string | null
  /** True when this is a kept answer sent again. */
  replayed: boolean
}

/** Sorted keys: the same JSON body however its members were ordered. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  return JSON.stringify(value) ?? 'null'
}

export function idempotencyKeyOf(
  header: string | string[] | undefined,
  method: string,
  path: string,
  body: unknown,
): IdempotencyKey | undefined {
  if (header === undefined) return undefined
  if (Array.isArray(header) || !KEY.test(header))
    throw new AppError('invalid-header', 'Idempotency-Key must be one value of 1 to 255 visible ASCII characters.', {
      errors: [{ in: 'header', name: 'idempotency-key', detail: 'must be 1 to 255 visible ASCII characters, sent once' }],
    })
  const fingerprint = createHash('sha256')
    .update(`${method} ${path}\n${canonical(body ?? {})}`)
    .digest('base64url')
  return { key: header, fingerprint }
}

export async function answerOnce(
  store: LedgerStore,
  clientId: string,
  now: Date,
  key: IdempotencyKey | undefined,
  work: (ledger: TicketLedger) => Promise<Omit<Answer, 'replayed'>>,
): Promise<Answer> {
  const since = new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS)
  return store.transact(async (ledger) => {
    if (key) {
      const kept = await ledger.storedResponse(clientId, key.key, since)
      if (kept) {
        if (kept.requestHash !== key.fingerprint)
          throw new AppError(
            'idempotency-key-reused',
            'This Idempotency-Key was already used with a different request; use a new key for a new request.',
            { errors: [{ in: 'header', name: 'idempotency-key', detail: 'was used with a different request' }] },
          )
        return { status: kept.status as 200 | 201, document: kept.body, location: kept.location, replayed: true }
      }
    }
    const answer = await work(ledger)
    if (key) {
      const stored = await ledger.storeResponse(
        clientId,
        key.key,
        { requestHash: key.fingerprint, status: answer.status, location: answer.location, body: answer.document },
        now,
        since,
      )
      // A concurrent request with the same key committed first: run again to answer with its result.
      if (!stored) throw new RetryTransaction('idempotency key taken concurrently')
    }
    return { ...answer, replayed: false }
  })
}
