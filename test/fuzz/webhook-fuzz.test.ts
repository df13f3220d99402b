// Random and hostile bodies for the webhook endpoint operations: no input may produce a 5xx, and
// every refusal is a problem document. DNS is a stub (never the network) and nothing is sent:
// there is no dispatcher here and no test event.
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bearer, createTestApp, tokenFor } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { openTestStore, type TestStore } from '../support/stores.js'

const ENDPOINTS = '/v2/system/webhook-endpoints'

let testStore: TestStore
let app: FastifyInstance
let token: string
let existing: string

beforeAll(async () => {
  testStore = await openTestStore('embedded')
  app = await createTestApp(testStore.store, {
    webhooks: {
      allowPrivate: false,
      resolve: async (hostname) => {
        if (hostname.length % 3 === 0) throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' })
        return [{ address: hostname.length % 3 === 1 ? '10.0.0.1' : '::1', family: 4 }]
      },
    },
  })
  token = await tokenFor(app, testStore.store, PROVIDER_A, ['webhooks:manage'])
  const lenient = await createTestApp(testStore.store, { webhooks: { allowPrivate: true } })
  const created = await lenient.inject({
    method: 'POST',
    url: ENDPOINTS,
    headers: bearer(token),
    payload: { url: 'http://127.0.0.1:9/', event_types: ['tickets.*'] },
  })
  existing = created.json().id
  await lenient.close()
})
afterAll(async () => {
  await app?.close()
  await testStore?.dispose()
})

const weirdString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    'https://[::1',
    'https://%00/',
    'https://a\u0000b/',
    'https://ex ample.com/',
    'https://0x7f.1/',
    'https://[fe80::1%25eth0]/',
    'https://-/',
    'https://example.com:99999/',
    'https://',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'https://xn--/',
    'tickets.*',
    'tickets.ticket.*',
    '2027-02-30T00:00:00Z',
    '9999-12-31T23:59:59Z',
  ),
  fc.webUrl(),
)
const value = fc.oneof(weirdString, fc.integer(), fc.boolean(), fc.constant(null), fc.array(weirdString, { maxLength: 4 }))
const body = fc.oneof(
  fc.record(
    {
      url: value,
      event_types: fc.oneof(value, fc.array(weirdString, { maxLength: 60 })),
      description: value,
      disabled: value,
      since: value,
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 3 }),
  value,
)
const operation = fc.constantFrom(
  ['POST', ENDPOINTS],
  ['PATCH', `${ENDPOINTS}/${'{id}'}`],
  ['POST', `${ENDPOINTS}/${'{id}'}/recover`],
  ['POST', `${ENDPOINTS}/${'{id}'}/rotate-secret`],
) as fc.Arbitrary<[string, string]>

it('answers any body with a 2xx or a problem, never a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(operation, body, async ([method, path], payload) => {
      const response = await app.inject({
        method: method as 'POST' | 'PATCH',
        url: path.replace('{id}', existing),
        headers: { ...bearer(token), 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      })
      expect(response.statusCode, `${method} ${path} ${JSON.stringify(payload)} → ${response.body}`).toBeLessThan(500)
      if (response.statusCode >= 400) {
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(response.json()).toMatchObject({ type: 'about:blank', status: response.statusCode, code: expect.any(String) })
      }
    }),
    { numRuns: 400, seed: 20_261_201 },
  )
}, 120_000)
