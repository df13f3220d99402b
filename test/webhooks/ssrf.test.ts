// No server-side request forgery: with private targets not allowed (the default), a URL that is
// not https, or whose host is or resolves to a non-public address, is refused when an endpoint
// is created or re-pointed (422), and again at every connection, after DNS resolution, so that a
// host resolving elsewhere later (rebinding) gets nothing either. Receivers here are on loopback;
// public addresses appear only in answers of a stub resolver and are never connected to.
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js'
import type { ResolveHost } from '../../src/webhooks/url-policy.js'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'
import { appendEvent, createEndpointVia, startReceiver, type Receiver } from '../support/webhooks.js'

const ENDPOINTS = '/v2/system/webhook-endpoints'
// Documentation-free public unicast addresses; never contacted (see above).
const PUBLIC = '93.184.216.34'

/** DNS as the test wants it: a name's answer can change between creation and delivery. */
function stubResolver(): { resolve: ResolveHost; answers: Map<string, string[]> } {
  const answers = new Map<string, string[]>()
  const resolve: ResolveHost = async (hostname) => {
    const addresses = answers.get(hostname)
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return { resolve, answers }
}

describeEachStore('webhook targets and server-side request forgery', (ctx) => {
  const dns = stubResolver()
  let strict: FastifyInstance
  let lenient: FastifyInstance
  let token: string
  let receiver: Receiver
  let dispatcher: WebhookDispatcher
  const scope = { providerId: PROVIDER_A }
  const create = (url: string, app = strict) =>
    app.inject({ method: 'POST', url: ENDPOINTS, headers: bearer(token), payload: { url, event_types: ['tickets.*'] } })

  beforeAll(async () => {
    strict = await createTestApp(ctx.store, { webhooks: { allowPrivate: false, resolve: dns.resolve } })
    lenient = await createTestApp(ctx.store, { webhooks: { allowPrivate: true } })
    token = await tokenFor(strict, ctx.store, PROVIDER_A, ['webhooks:manage'])
  })
  beforeEach(async () => {
    receiver = await startReceiver()
    dispatcher = new WebhookDispatcher({
      store: ctx.store,
      allowPrivate: false,
      resolve: dns.resolve,
      pollIntervalMs: 0,
      random: () => 0.5,
    })
  })
  afterEach(async () => {
    await dispatcher.stop()
    await receiver.close()
    await ctx.store.db.deleteFrom('webhook_endpoints').execute()
  })
  afterAll(async () => {
    await strict.close()
    await lenient.close()
  })

  it.each([
    ['http://hooks.example/in', 'must be an https URL'],
    ['ftp://hooks.example/in', 'must be an https URL'],
    ['not a url', 'is not an absolute URL'],
    ['https://user:pw@hooks.example/in', 'must not carry credentials (the signature authenticates us to you)'],
    ['https://hooks.example/in#frag', 'must not have a fragment'],
    ['https://127.0.0.1/in', 'host 127.0.0.1 is a loopback address'],
    ['https://2130706433/in', 'host 127.0.0.1 is a loopback address'],
    ['https://[::1]/in', 'host ::1 is a loopback address'],
    ['https://[::ffff:127.0.0.1]/in', 'host ::ffff:7f00:1 is a loopback address'],
    ['https://169.254.169.254/latest/meta-data/', 'host 169.254.169.254 is a link-local address (cloud metadata services live there)'],
    ['https://10.1.2.3/in', 'host 10.1.2.3 is a private address'],
    ['https://172.16.0.1/in', 'host 172.16.0.1 is a private address'],
    ['https://192.168.1.1/in', 'host 192.168.1.1 is a private address'],
    ['https://100.64.0.1/in', 'host 100.64.0.1 is a carrier-grade NAT (shared) address'],
    ['https://0.0.0.0/in', 'host 0.0.0.0 is an unspecified address'],
    ['https://[fd12::1]/in', 'host fd12::1 is a unique-local (private) address'],
    ['https://[fe80::1]/in', 'host fe80::1 is a link-local address (cloud metadata services live there)'],
    ['https://224.0.0.1/in', 'host 224.0.0.1 is a multicast address'],
    ['https://240.0.0.1/in', 'host 240.0.0.1 is a reserved address'],
    ['https://private.example/in', 'host private.example resolves to 10.0.0.5, a private address'],
    ['https://mixed.example/in', 'host mixed.example resolves to 127.0.0.1, a loopback address'],
    ['https://nowhere.example/in', 'host nowhere.example does not resolve'],
  ])('refuses %s at creation: %s', async (url, detail) => {
    dns.answers.set('private.example', ['10.0.0.5'])
    dns.answers.set('mixed.example', [PUBLIC, '127.0.0.1'])
    const response = await create(url)
    expect(response.statusCode, response.body).toBe(422)
    expect(response.json()).toEqual({
      type: 'about:blank',
      title: 'Unprocessable Content',
      status: 422,
      code: 'webhook-url-refused',
      detail: `The webhook URL ${detail}.`,
      errors: [{ in: 'body', name: 'url', detail }],
    })
  })

  it('refuses a URL that percent-encoding makes longer than can be stored', async () => {
    const url = `https://hooks.example/${'ab c'.repeat(500)}`
    expect(url.length).toBeLessThanOrEqual(2048)
    const response = await create(url)
    expect(response.statusCode).toBe(422)
    expect(response.json().detail).toBe('The webhook URL is longer than 2048 characters once normalised.')
  })

  it('refuses localhost by what it resolves to, with the system resolver', async () => {
    const app = await createTestApp(ctx.store, { webhooks: { allowPrivate: false } })
    try {
      const response = await create(`https://localhost:${receiver.port}/in`, app)
      expect(response.statusCode).toBe(422)
      expect(response.json().detail).toMatch(/^The webhook URL host localhost resolves to (127\.0\.0\.1|::1), a loopback address\.$/)
    } finally {
      await app.close()
    }
  })

  it('accepts public https targets, and refuses a private one on PATCH too', async () => {
    dns.answers.set('hooks.example', [PUBLIC])
    expect((await create(`https://${PUBLIC}/in`)).statusCode).toBe(201)
    const created = await create('https://hooks.example/in')
    expect(created.statusCode, created.body).toBe(201)
    const patched = await strict.inject({
      method: 'PATCH',
      url: `${ENDPOINTS}/${created.json().id}`,
      headers: bearer(token),
      payload: { url: 'https://169.254.169.254/' },
    })
    expect(patched.statusCode).toBe(422)
    expect(patched.json().code).toBe('webhook-url-refused')
  })

  it('refuses at connection time a host that now resolves to loopback (DNS rebinding): no connection is made', async () => {
    dns.answers.set('rebind.example', [PUBLIC])
    const { id } = await createEndpointVia(strict, token, { url: `https://rebind.example:${receiver.port}/in`, event_types: ['tickets.*'] })
    dns.answers.set('rebind.example', ['127.0.0.1'])
    await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', Date.now())
    await dispatcher.settle()
    const [attempt] = (await ctx.store.listWebhookDeliveries(scope, id, { limit: 1, offset: 0 }))!.result
    expect(attempt).toMatchObject({
      succeeded: false,
      responseStatus: null,
      error: 'refused: rebind.example resolves to 127.0.0.1, a loopback address',
    })
    expect((await ctx.store.getWebhookEndpoint(scope, id))!.attempt).toBe(1)
    // The test event goes through the same guard.
    const tested = await strict.inject({ method: 'POST', url: `${ENDPOINTS}/${id}/test`, headers: bearer(token) })
    expect(tested.json()).toMatchObject({ succeeded: false, error: 'refused: rebind.example resolves to 127.0.0.1, a loopback address' })
    expect(receiver.connections).toBe(0)
  })

  it('refuses at connection time targets stored while private ones were allowed: localhost, an IP literal, http', async () => {
    const urls = [`https://localhost:${receiver.port}/a`, `https://127.0.0.1:${receiver.port}/b`, `${receiver.origin}/c`]
    const ids = []
    for (const url of urls) ids.push((await createEndpointVia(lenient, token, { url, event_types: ['tickets.*'] })).id)
    const system = new WebhookDispatcher({ store: ctx.store, allowPrivate: false, pollIntervalMs: 0 })
    try {
      await appendEvent(ctx.store, PROVIDER_A, 'tickets.ticket.created', Date.now())
      await system.settle()
    } finally {
      await system.stop()
    }
    const errors = []
    for (const id of ids) errors.push((await ctx.store.listWebhookDeliveries(scope, id, { limit: 1, offset: 0 }))!.result[0]!.error)
    expect(errors).toEqual([
      expect.stringMatching(/^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/),
      'refused: 127.0.0.1 is a loopback address',
      'refused: the URL must be an https URL',
    ])
    expect(receiver.connections).toBe(0)
  })
})
