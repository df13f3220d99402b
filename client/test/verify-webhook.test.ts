// verifyWebhook against deliveries signed by the independent Standard Webhooks reference library
// (`standardwebhooks`): what it signs verifies, in every form a receiver holds the headers and the
// body; every tampering, a wrong secret, stale and future timestamps, a parsed body and missing
// headers fail with their reason; both signatures of a secret rotation verify. Last, the README's
// node:http receiver, over a real socket.
import { createHmac, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { verifyWebhook, WebhookVerificationError, type WebhookFailureReason, type WebhookPayload } from '../src/index.js'

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`
const SECRET = newSecret()
const NOW = new Date('2026-12-01T08:00:00Z')
const seconds = (date: Date) => Math.floor(date.getTime() / 1000)

const EVENT = {
  id: '01M8W2A0Z19NCSF1WSJ4K2PYG4',
  type: 'tickets.ticket.closed',
  occurred_at: '2026-12-01T07:59:58.120Z',
  payload: {
    ticket: { id: 'eab905a3-c167-416b-9103-c7ba9d67d33e', ticket_number: 7100300, state: 'closed' },
    parent_ticket: null,
    customer: null,
  },
  actor: { type: 'client', id: 'tc_8f9ef7cec2f36f317a849084' },
  changes: { state: { old: 'in_progress', new: 'closed' } },
}
// As the server writes it: the event's own bytes inside the envelope, with a non-ASCII character
// so that the body's bytes and its characters differ.
const BODY = `{"type":"tickets.ticket.closed","timestamp":"2026-12-01T07:59:58.120Z","data":${JSON.stringify({
  ...EVENT,
  changes: { ...EVENT.changes, operator_reference: { old: '', new: 'Prüfung OK' } },
})}}`

interface Delivery {
  headers: Record<string, string>
  body: string
}

/** A delivery signed by the reference library, `at` a given time, with one or more secrets. */
function deliver(options: { secrets?: string[]; at?: Date; id?: string; body?: string } = {}): Delivery {
  const at = options.at ?? NOW
  const id = options.id ?? EVENT.id
  const body = options.body ?? BODY
  const signatures = (options.secrets ?? [SECRET]).map((secret) => new Webhook(secret).sign(id, at, body))
  return {
    headers: { 'webhook-id': id, 'webhook-timestamp': String(seconds(at)), 'webhook-signature': signatures.join(' ') },
    body,
  }
}

function reasonOf(run: () => unknown): WebhookFailureReason {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError)
    return (error as WebhookVerificationError).reason
  }
  return expect.fail('expected a WebhookVerificationError')
}

describe('verifyWebhook', () => {
  it('verifies what the reference library signs and returns the typed payload', () => {
    const { headers, body } = deliver()
    const payload: WebhookPayload = verifyWebhook(SECRET, headers, body, { now: NOW })
    expect(payload).toEqual(JSON.parse(BODY))
    if (payload.type === 'tickets.ticket.closed') expect(payload.data.payload.ticket.state).toBe('closed')
    else expect.fail(`type ${payload.type}`)
  })

  it('takes the body as a string, Buffer, Uint8Array or ArrayBuffer, and the headers in any case or as Headers', () => {
    const { headers, body } = deliver()
    const bytes = Buffer.from(body)
    const upper = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]))
    for (const raw of [body, bytes, new Uint8Array(bytes), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)])
      expect(verifyWebhook(SECRET, headers, raw, { now: NOW }).data.id).toBe(EVENT.id)
    expect(verifyWebhook(SECRET, upper, body, { now: NOW }).data.id).toBe(EVENT.id)
    expect(verifyWebhook(SECRET, new Headers(headers), body, { now: NOW }).data.id).toBe(EVENT.id)
  })

  it('accepts the secret without its whsec_ prefix, or as the raw key bytes (as the reference library does)', () => {
    const { headers, body } = deliver()
    const encoded = SECRET.slice('whsec_'.length)
    expect(verifyWebhook(encoded, headers, body, { now: NOW }).type).toBe('tickets.ticket.closed')
    expect(verifyWebhook(Buffer.from(encoded, 'base64'), headers, body, { now: NOW }).type).toBe('tickets.ticket.closed')
  })

  it('refuses a tampered body, id or timestamp, and a wrong secret, as bad-signature', () => {
    const { headers, body } = deliver()
    const verify =
      (h: Record<string, string>, b: string | Buffer, secret = SECRET) =>
      () =>
        verifyWebhook(secret, h, b, { now: NOW })
    expect(reasonOf(verify(headers, body.replace('"closed"', '"cancelled"')))).toBe('bad-signature')
    const flipped = Buffer.from(body)
    flipped[flipped.length - 2]! ^= 1
    expect(reasonOf(verify(headers, flipped))).toBe('bad-signature')
    expect(reasonOf(verify({ ...headers, 'webhook-id': '01M8W2A0Z19NCSF1WSJ4K2PYG5' }, body))).toBe('bad-signature')
    // Moved by one second, well within the tolerance: only the signature can tell.
    expect(reasonOf(verify({ ...headers, 'webhook-timestamp': String(seconds(NOW) + 1) }, body))).toBe('bad-signature')
    expect(reasonOf(verify(headers, body, newSecret()))).toBe('bad-signature')
  })

  it('refuses a parsed body with not-raw-body, and a re-serialised one does not verify', () => {
    const { headers, body } = deliver()
    const parsed: unknown = JSON.parse(body)
    for (const wrong of [parsed, null, 42, [body]]) {
      let error: unknown
      try {
        verifyWebhook(SECRET, headers, wrong as string, { now: NOW })
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(WebhookVerificationError)
      expect((error as WebhookVerificationError).reason).toBe('not-raw-body')
      expect((error as Error).message).toMatch(/raw request body/)
    }
    // Re-serialising gives other bytes as soon as spacing, member order or escaping differ from
    // the sender's (here, the spacing), and the signature covers bytes.
    const reserialised = JSON.stringify(parsed, null, 1)
    expect(reasonOf(() => verifyWebhook(SECRET, headers, reserialised, { now: NOW }))).toBe('bad-signature')
  })

  it('refuses a timestamp older or newer than 5 minutes, and keeps the edges', () => {
    const at = (offsetSeconds: number) => deliver({ at: new Date(NOW.getTime() + offsetSeconds * 1000) })
    const check =
      (d: Delivery, options = {}) =>
      () =>
        verifyWebhook(SECRET, d.headers, d.body, { now: NOW, ...options })
    expect(check(at(-300))().type).toBe('tickets.ticket.closed')
    expect(check(at(300))().type).toBe('tickets.ticket.closed')
    expect(reasonOf(check(at(-301)))).toBe('stale-timestamp')
    expect(reasonOf(check(at(301)))).toBe('future-timestamp')
    expect(reasonOf(check(at(-3600)))).toBe('stale-timestamp')
    // A tolerance of your own.
    expect(reasonOf(check(at(-61), { toleranceSeconds: 60 }))).toBe('stale-timestamp')
    expect(check(at(-3600), { toleranceSeconds: 7200 })().type).toBe('tickets.ticket.closed')
    // The default `now` is the clock: a delivery signed just now verifies without options.
    const fresh = deliver({ at: new Date() })
    expect(verifyWebhook(SECRET, fresh.headers, fresh.body).type).toBe('tickets.ticket.closed')
  })

  it('reports a forged signature as bad-signature even when its timestamp is stale too', () => {
    const old = deliver({ at: new Date(NOW.getTime() - 3600_000), secrets: [newSecret()] })
    expect(reasonOf(() => verifyWebhook(SECRET, old.headers, old.body, { now: NOW }))).toBe('bad-signature')
  })

  it('names the missing header, absent or empty', () => {
    const { headers, body } = deliver()
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const { [name]: _dropped, ...without } = headers
      for (const given of [without, { ...headers, [name]: '' }]) {
        let error: WebhookVerificationError | undefined
        try {
          verifyWebhook(SECRET, given, body, { now: NOW })
        } catch (caught) {
          error = caught as WebhookVerificationError
        }
        expect(error?.reason).toBe('missing-header')
        expect(error?.header).toBe(name)
      }
    }
    expect(reasonOf(() => verifyWebhook(SECRET, new Headers(), body, { now: NOW }))).toBe('missing-header')
  })

  it('verifies either signature of a secret rotation, and neither verifies under a third secret', () => {
    const previous = newSecret()
    const current = newSecret()
    const { headers, body } = deliver({ secrets: [current, previous] })
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2)
    expect(verifyWebhook(current, headers, body, { now: NOW }).data.id).toBe(EVENT.id)
    expect(verifyWebhook(previous, headers, body, { now: NOW }).data.id).toBe(EVENT.id)
    expect(reasonOf(() => verifyWebhook(newSecret(), headers, body, { now: NOW }))).toBe('bad-signature')
    // A framework that hands a repeated header over as an array still verifies.
    const [first, second] = headers['webhook-signature']!.split(' ')
    expect(verifyWebhook(previous, { ...headers, 'webhook-signature': [first!, second!] }, body, { now: NOW }).data.id).toBe(EVENT.id)
  })

  it('reads only v1 signatures: the same value under another version does not count', () => {
    const { headers, body } = deliver()
    const value = headers['webhook-signature']!.slice('v1,'.length)
    const other = { ...headers, 'webhook-signature': `v1a,${value} v2,${value} ${value}` }
    expect(reasonOf(() => verifyWebhook(SECRET, other, body, { now: NOW }))).toBe('bad-signature')
  })

  it('refuses a secret that is not whsec_ + base64, and a timestamp that is not whole seconds', () => {
    const { headers, body } = deliver()
    for (const secret of ['', 'whsec_', 'whsec_not base64!', 'whsec_abc', new Uint8Array()])
      expect(
        reasonOf(() => verifyWebhook(secret, headers, body, { now: NOW })),
        String(secret),
      ).toBe('bad-secret')
    for (const timestamp of ['soon', '1764576000.5', '-1', '2026-12-01T08:00:00Z'])
      expect(reasonOf(() => verifyWebhook(SECRET, { ...headers, 'webhook-timestamp': timestamp }, body, { now: NOW }))).toBe(
        'bad-timestamp',
      )
  })

  it('refuses a correctly signed body that is not a delivery as bad-payload', () => {
    for (const body of ['not json', '[]', '{"type":"tickets.ticket.closed","timestamp":"x"}', '{"type":1,"timestamp":"x","data":{}}']) {
      const delivery = deliver({ body })
      expect(
        reasonOf(() => verifyWebhook(SECRET, delivery.headers, delivery.body, { now: NOW })),
        body,
      ).toBe('bad-payload')
    }
    const latin1 = Buffer.from([0x7b, 0xfc, 0x7d]) // "{ü}" in Latin-1: not UTF-8
    // Signed here: the reference library reads a Buffer as UTF-8 text first, so it cannot sign these bytes.
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64')
    const signed = `v1,${createHmac('sha256', key)
      .update(`${EVENT.id}.${seconds(NOW)}.`)
      .update(latin1)
      .digest('base64')}`
    const headers = { 'webhook-id': EVENT.id, 'webhook-timestamp': String(seconds(NOW)), 'webhook-signature': signed }
    expect(reasonOf(() => verifyWebhook(SECRET, headers, latin1, { now: NOW }))).toBe('bad-payload')
  })
})

describe('the README receiver', () => {
  it('answers 204 to a delivery the reference library signed, 400 to a forged one, and keeps each webhook-id once', async () => {
    // The README's example, its queue a map keyed by webhook-id.
    const queued = new Map<string, WebhookPayload>()
    const queue = {
      putOnce: async (id: string, delivery: WebhookPayload) => {
        if (!queued.has(id)) queued.set(id, delivery)
      },
    }
    const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = []
      for await (const chunk of request) chunks.push(chunk as Buffer)
      let delivery
      try {
        delivery = verifyWebhook(SECRET, request.headers, Buffer.concat(chunks))
      } catch (error) {
        response.writeHead(400).end(error instanceof WebhookVerificationError ? error.reason : 'bad request')
        return
      }
      await queue.putOnce(request.headers['webhook-id'] as string, delivery)
      response.writeHead(204).end()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tickets`
    try {
      const good = deliver({ at: new Date() })
      const post = (d: Delivery) =>
        fetch(url, { method: 'POST', headers: { ...d.headers, 'content-type': 'application/json' }, body: d.body })
      expect((await post(good)).status).toBe(204)
      expect((await post(good)).status).toBe(204) // a retry of the same delivery
      const forged = deliver({ at: new Date(), secrets: [newSecret()] })
      const refused = await post(forged)
      expect([refused.status, await refused.text()]).toEqual([400, 'bad-signature'])
      expect([...queued.keys()]).toEqual([EVENT.id])
      expect(queued.get(EVENT.id)).toEqual(JSON.parse(BODY))
    } finally {
      server.close()
    }
  })
})
