// Hostile shapes of token-request bodies (the kind that once froze the server): names repeated
// thousands of times, bodies just under and over the 8 KiB limit, runs of separators, broken
// escapes. Every answer is a token or an RFC 6749 problem, never a 5xx, and the service keeps
// answering /healthz between them. Deterministic: a fixed seed (FUZZ_SEED to change it).
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { FORM_BODY_LIMIT_BYTES } from '../../src/http/body-limits.js'
import { createClient, createTestApp } from '../support/api.js'
import { PROVIDER_A } from '../support/fixtures.js'
import { openTestStore, type TestStore } from '../support/stores.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202)
const OAUTH_ERRORS = new Set(['invalid_request', 'invalid_client', 'unsupported_grant_type', 'invalid_scope'])

let opened: TestStore
let app: FastifyInstance
let credentials: { clientId: string; secret: string }

beforeAll(async () => {
  opened = await openTestStore('embedded')
  app = await createTestApp(opened.store)
  credentials = await createClient(opened.store, PROVIDER_A)
})
afterAll(async () => {
  await app.close()
  await opened.dispose()
})

const piece = fc.constantFrom(
  'a',
  'grant_type',
  'client_id',
  'client_secret',
  'scope',
  '',
  '=',
  '&',
  '%',
  '%2',
  '%zz',
  '%00',
  '+',
  'é',
  '\u0000',
  '[]',
  '==',
)
const repeated = fc
  .tuple(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 6000 }), fc.constantFrom('&', '&&', '=&', ''))
  .map(([parts, times, separator]) => `${parts.join('')}${separator}`.repeat(times))
const nearLimit = fc
  .tuple(fc.integer({ min: -64, max: 64 }), fc.constantFrom('a', 'a&', 'scope=', '%41'))
  .map(([offset, unit]) => unit.repeat(Math.ceil((FORM_BODY_LIMIT_BYTES + offset) / unit.length)).slice(0, FORM_BODY_LIMIT_BYTES + offset))
const realistic = fc.constant('__credentials__')
const body = fc.oneof(repeated, nearLimit, realistic, fc.string({ maxLength: 300 }))

it('answers hostile form bodies with a token or an RFC 6749 problem, and keeps serving', async () => {
  const real = `grant_type=client_credentials&client_id=${credentials.clientId}&client_secret=${credentials.secret}`
  await fc.assert(
    fc.asyncProperty(body, async (raw) => {
      const payload = raw === '__credentials__' ? real : raw
      const response = await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      })
      expect(response.statusCode).toBeLessThan(500)
      if (response.statusCode === 200) expect(response.json().token_type).toBe('Bearer')
      else {
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(OAUTH_ERRORS.has(response.json().error)).toBe(true)
      }
      if (Buffer.byteLength(payload) > FORM_BODY_LIMIT_BYTES) expect(response.statusCode).toBe(413)
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    }),
    { seed: SEED, numRuns: 300 },
  )
}, 180_000)
