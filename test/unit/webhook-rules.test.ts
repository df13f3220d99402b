// The pure rules of webhook delivery: event-type selectors, which addresses are refused, the
// retry schedule's arithmetic and Retry-After, the signature (against the reference library),
// and the guarded lookup's answers in both of the forms node:net asks for.
import type { LookupAddress } from 'node:dns'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { addressRefusal } from '../../src/webhooks/address-policy.js'
import { eventTypeRefusal, matchesEventTypes } from '../../src/webhooks/event-types.js'
import { guardedLookup } from '../../src/webhooks/guarded-lookup.js'
import { nextStep, parseRetryAfter, RETRY_DELAYS_MS, scheduledDelayMs } from '../../src/webhooks/retry-schedule.js'
import { generateWebhookSecret, readWebhookSecret, signWebhook, storeWebhookSecret } from '../../src/webhooks/secrets.js'

describe('event-type selectors', () => {
  it('accepts known types and whole-segment prefixes, refuses the rest', () => {
    for (const ok of [
      'tickets.ticket.closed',
      'webhook.endpoint.disabled',
      'tickets.ticket.*',
      'tickets.*',
      'webhook.*',
      'webhook.endpoint.*',
    ])
      expect(eventTypeRefusal(ok), ok).toBeUndefined()
    for (const bad of [
      'tickets.ticket.closed.*',
      'tickets.tick.*',
      '*',
      'tickets',
      'webhook.test',
      'Tickets.ticket.closed',
      'tickets.*.closed',
    ])
      expect(eventTypeRefusal(bad), bad).toBeDefined()
  })

  it('matches exact types and prefixes only at segment boundaries', () => {
    expect(matchesEventTypes(['tickets.ticket.*'], 'tickets.ticket.closed')).toBe(true)
    expect(matchesEventTypes(['tickets.ticket.closed'], 'tickets.ticket.closed')).toBe(true)
    expect(matchesEventTypes(['tickets.ticket.closed'], 'tickets.ticket.cancelled')).toBe(false)
    expect(matchesEventTypes(['tickets.*'], 'webhook.endpoint.disabled')).toBe(false)
    expect(matchesEventTypes(['tickets.ticket.*'], 'tickets.ticketing.other')).toBe(false)
  })
})

describe('address policy', () => {
  it.each([
    ['93.184.216.34', undefined],
    ['2606:2800:220:1:248:1893:25c8:1946', undefined],
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:10.0.0.1', 'a private address'],
    ['10.0.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.0.1', 'a private address'],
    ['169.254.169.254', 'a link-local address (cloud metadata services live there)'],
    ['fe80::1', 'a link-local address (cloud metadata services live there)'],
    ['fd00:ec2::254', 'a unique-local (private) address'],
    ['100.64.0.1', 'a carrier-grade NAT (shared) address'],
    ['0.0.0.0', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['255.255.255.255', 'a broadcast address'],
    ['239.1.2.3', 'a multicast address'],
    ['ff02::1', 'a multicast address'],
    ['192.0.2.1', 'a reserved address'],
    ['64:ff9b::a00:1', 'a special-purpose address (rfc6052)'],
    ['2002:7f00:1::', 'a special-purpose address (6to4)'],
    ['not-an-ip', 'not an IP address'],
  ])('%s → %s', (address, refusal) => {
    expect(addressRefusal(address)).toBe(refusal)
  })
})

describe('retry schedule', () => {
  const failure = (attempt: number, extra: Partial<Parameters<typeof nextStep>[0]> = {}) => ({
    attempt,
    status: 500,
    retryAfter: undefined,
    failingSince: new Date(0),
    now: new Date(1_000),
    ...extra,
  })

  it('follows the specification’s delays, jittered by at most 10% either way, and repeats the last', () => {
    for (const [index, base] of RETRY_DELAYS_MS.entries()) {
      expect(scheduledDelayMs(index + 1, () => 0)).toBe(Math.round(base * 0.9))
      expect(scheduledDelayMs(index + 1, () => 0.5)).toBe(base)
      expect(scheduledDelayMs(index + 1, () => 1)).toBe(Math.round(base * 1.1))
    }
    expect(scheduledDelayMs(20, () => 0.5)).toBe(36_000_000)
  })

  it('reads Retry-After as seconds or an HTTP-date', () => {
    const now = new Date('2027-01-01T00:00:00Z')
    expect(parseRetryAfter('30', now)).toBe(30_000)
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000)
    expect(parseRetryAfter('Fri, 01 Jan 2027 00:02:00 GMT', now)).toBe(120_000)
    expect(parseRetryAfter('-5', now)).toBeUndefined()
    expect(parseRetryAfter('later', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })

  it('disables on 410 and at the 5-day mark, and never schedules past it', () => {
    expect(nextStep(failure(1, { status: 410 }), () => 0.5)).toEqual({ kind: 'disable', reason: 'The endpoint answered 410 Gone.' })
    const fiveDays = 5 * 24 * 3_600_000
    expect(nextStep(failure(12, { now: new Date(fiveDays) }), () => 0.5)).toMatchObject({ kind: 'disable' })
    expect(nextStep(failure(12, { now: new Date(fiveDays - 60_000) }), () => 0.5)).toEqual({ kind: 'retry', at: new Date(fiveDays) })
  })
})

describe('signatures', () => {
  it('match what the standardwebhooks reference library computes, one per secret', () => {
    const [first, second] = [generateWebhookSecret(), generateWebhookSecret()]
    const at = new Date('2027-01-01T00:00:00Z')
    const body = '{"type":"x","timestamp":"2027-01-01T00:00:00Z","data":{"é":"☃"}}'
    const header = signWebhook([first, second], 'msg_1', at.getTime() / 1000, body)
    expect(header).toBe(`${new Webhook(first).sign('msg_1', at, body)} ${new Webhook(second).sign('msg_1', at, body)}`)
  })

  it('keeps secrets encrypted at rest, bound to their endpoint', () => {
    const key = Buffer.alloc(32, 7)
    const secret = generateWebhookSecret()
    const stored = storeWebhookSecret(secret, 'endpoint-1', key)
    expect(stored.encrypted).toBe(true)
    expect(stored.value).not.toContain(secret.slice(6))
    expect(readWebhookSecret(stored, 'endpoint-1', key)).toBe(secret)
    expect(() => readWebhookSecret(stored, 'endpoint-2', key)).toThrow(/cannot be decrypted/)
    expect(() => readWebhookSecret(stored, 'endpoint-1', undefined)).toThrow(/TICKETS_KEY_ENCRYPTION_KEY/)
  })
})

describe('guarded lookup', () => {
  const lookup = guardedLookup(async (hostname) =>
    hostname === 'public.example'
      ? [
          { address: '93.184.216.34', family: 4 },
          { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
        ]
      : [{ address: '10.0.0.1', family: 4 }],
  )
  const ask = (hostname: string, options: { all?: boolean; family?: number }) =>
    new Promise<{ error: Error | null; address: string | LookupAddress[]; family: number | undefined }>((resolve) =>
      lookup(hostname, options, (error, address, family) => resolve({ error, address, family })),
    )

  it('answers in the form asked for: every address, or the first of a family', async () => {
    expect((await ask('public.example', { all: true })).address).toHaveLength(2)
    expect(await ask('public.example', {})).toEqual({ error: null, address: '93.184.216.34', family: 4 })
    expect(await ask('public.example', { family: 6 })).toEqual({ error: null, address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 })
  })

  it('refuses a name that resolves to a private address', async () => {
    const { error } = await ask('private.example', { all: true })
    expect(error?.message).toBe('refused: private.example resolves to 10.0.0.1, a private address')
  })
})
