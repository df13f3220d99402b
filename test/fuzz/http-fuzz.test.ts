// Thousands of random and hostile requests against the whole app: no input may produce a 5xx,
// every 4xx is a well-formed problem document, and nothing internal (stack, SQL) leaks out.
// Deterministic: a fixed seed. A failure prints the request, the response and fast-check's
// { seed, path }; replay that one case with
//   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/fuzz/http-fuzz.test.ts -t '<test name>'
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { TICKET_FIELDS, TICKET_STATES } from '../../src/contract/ticket.js'
import { FILTER_NAMES, SORT_FIELD_NAMES } from '../../src/domain/ticket-fields.js'
import { ERROR_CATALOG } from '../../src/errors/catalog.js'
import { BODY_LIMIT_BYTES } from '../../src/http/body-limits.js'
import { createClient, createTestApp, requestToken, tokenFor } from '../support/api.js'
import { CUSTOMER_X, EDGE_TICKETS, OPERATOR_Y, PROVIDER_A, PROVIDER_B, seedStore, ticketsOf } from '../support/fixtures.js'
import { describeEachStore } from '../support/stores.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_601)
const REPLAY = process.env.FUZZ_PATH
const TIMEOUT = 180_000

// Placeholders, filled in per store so that the arbitraries stay static and printable. Made of
// unreserved characters only, so that they survive percent-encoding.
const TOKEN = '__token__'
const READ_TOKEN = '__read_token__'
const REVOKED_TOKEN = '__revoked_token__'
const CLIENT_ID = '__client_id__'
const SECRET = '__secret__'
const A_IDS = EDGE_TICKETS.map((t) => t.id)
const B_IDS = ticketsOf(PROVIDER_B).map((t) => t.id)

type Tamper = 'none' | 'append' | 'truncate' | 'double' | 'bare' | 'upper' | 'flip-payload'
type Auth =
  | undefined
  | string
  | { token: string; tamper: Tamper }
  | { basic: [string, string] }
  | { jwt: Record<string, unknown>; alg: string; key: 'store' | 'other'; prefix: string }
type Body = { text: string } | { huge: number; char: string } | { deep: number; open: string; close: string } | undefined
interface Req {
  method: string
  url: string
  headers: Record<string, string>
  auth: Auth
  body: Body
}
const AS_A: Auth = { token: TOKEN, tamper: 'none' }

const clip = (s: string, n = 240) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s)
function show(req: Req): string {
  const body = req.body && ('text' in req.body ? clip(req.body.text) : JSON.stringify(req.body))
  return `${req.method} ${clip(req.url)} headers=${clip(JSON.stringify(req.headers))} auth=${clip(JSON.stringify(req.auth) ?? '-')} body=${body ?? '-'}`
}
/** Counterexamples print as a short request line, not as a megabyte of body. */
const printable = (req: Req): Req => Object.assign(req, { [fc.toStringMethod]: () => show(req) })

// ---- values -----------------------------------------------------------------------------------
const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0')
/** Percent-encodes all but unreserved characters; a lone surrogate becomes invalid UTF-8. */
function encodeLoose(s: string): string {
  let out = ''
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (/^[A-Za-z0-9\-_.~]$/.test(ch)) out += ch
    else if (cp >= 0xd800 && cp <= 0xdfff) out += `%ED%${hex(0x80 | ((cp >> 6) & 0x3f))}%${hex(0x80 | (cp & 0x3f))}`
    else out += encodeURIComponent(ch)
  }
  return out
}
const BROKEN = ['%', '%z', '%zz', '%E2%82', '%C0%AF', '%FF', '%ED%A0%80', '%%', '%2']
/** A value as it could travel: percent-encoded, '+' for spaces, raw, or with a broken escape. */
const encoded = (arb: fc.Arbitrary<string>) =>
  fc
    .tuple(arb, fc.constantFrom('percent', 'percent', 'plus', 'raw', 'broken'), fc.nat(), fc.constantFrom(...BROKEN))
    .map(([s, how, at, bad]) => {
      if (how === 'raw') return s
      const e = encodeLoose(s)
      if (how === 'plus') return e.replace(/%20/g, '+')
      const cut = at % (e.length + 1)
      return how === 'broken' ? e.slice(0, cut) + bad + e.slice(cut) : e
    })

const SQLISH = [
  "' OR '1'='1",
  '1; DROP TABLE tickets; --',
  'SELECT * FROM tickets',
  "') UNION SELECT provider_id, secret_hash FROM api_clients --",
  '$1',
  '\\',
  "%' --",
  "closed') OR 1=1 --",
  '1::text',
  "E'\\x00'",
  '"; --',
  'NULL',
  'null',
  'undefined',
  '{}',
  '[]',
  '${7*7}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
]
const long = fc
  .tuple(fc.constantFrom('a', '9', '%', 'é', '😀', ',', '&', '0'), fc.constantFrom(255, 256, 1000, 10_000, 60_000))
  .map(([c, n]) => c.repeat(n))
const controlChar = fc.oneof(
  fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u0000', '\u007f', '\u0085', '\u2028', '\ufeff', '\ud800', 'a', ' '),
)
const control = fc.string({ unit: controlChar, minLength: 1, maxLength: 6 })
const text = (maxLength: number) =>
  fc.oneof({ weight: 2, arbitrary: fc.string({ maxLength }) }, fc.string({ unit: 'binary', maxLength: 40 }), control)
const hostile = fc.oneof(
  fc.constantFrom(...SQLISH),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  control,
  long,
)
const uuid = fc.oneof(
  { weight: 3, arbitrary: fc.uuid() },
  fc.constantFrom(PROVIDER_A, PROVIDER_B, CUSTOMER_X, OPERATOR_Y, ...A_IDS, ...B_IDS),
)
const oddUuid = fc.oneof(
  uuid.map((u) => u.toUpperCase()),
  uuid.map((u) => `{${u}}`),
  uuid.map((u) => u.replace(/-/g, '')),
  uuid.map((u) => u.slice(1)),
  uuid.map((u) => `${u} `),
)
const upTo = (max: number) => fc.integer({ min: 0, max })
const pad = (n: number, width = 2) => String(n).padStart(width, '0')
const validDate = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true })
const dateTime = fc.oneof(
  validDate.map((d) => d.toISOString()),
  fc
    .record({
      y: upTo(10_000),
      mo: upTo(13),
      d: upTo(32),
      h: upTo(25),
      mi: upTo(61),
      s: upTo(61),
      frac: fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 8 })),
      sep: fc.constantFrom('T', 't', ' '),
      zone: fc.constantFrom('Z', 'z', '+02:00', ' 02:00', '-05:30', '+24:00', '-00:00', '+0200', '+02', ''),
    })
    .map(
      ({ y, mo, d, h, mi, s, frac, sep, zone }) =>
        `${pad(y, 4)}-${pad(mo)}-${pad(d)}${sep}${pad(h)}:${pad(mi)}:${pad(s)}${frac === null ? '' : `.${frac}`}${zone}`,
    ),
  fc.constantFrom('2023-03-15', '2023-03-15T08:34Z', 'now', 'yesterday', '1678869268'),
)
const int = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.constantFrom('1.5', '1e3', '0x10', ' 5', '+5', '-0', '007', '-', '', '١٢٣', '9'.repeat(30), '9'.repeat(5000), 'NaN', 'Infinity'),
)
const stateList = fc
  .array(fc.constantFrom(...TICKET_STATES, 'PENDING', 'open', '', ' closed'), { minLength: 1, maxLength: 4 })
  .map((s) => s.join(','))
const anyValue = fc.oneof(
  stateList,
  uuid,
  oddUuid,
  dateTime,
  int,
  fc.constantFrom('true', 'false', 'TRUE', '1', 'asc', 'desc', 'ASC', '', 'JH4KA7630PC007649'),
  fc.string({ minLength: 16, maxLength: 18 }),
  { weight: 3, arbitrary: hostile },
)

// ---- list query strings -------------------------------------------------------------------------
const KNOWN = [...FILTER_NAMES, 'limit', 'offset', ...SORT_FIELD_NAMES.map((f) => `sort_by[${f}]`)]
const ODD_NAMES = [
  'sort_by',
  'sort_by[]',
  'sort_by[[created_at]]',
  'sort_by[created_at',
  'sort_by[created_at][x]',
  'sort_by[id]',
  'sort_by%5Bcreated_at%5D',
  'state[]',
  'state[0]',
  'State',
  'LIMIT',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'provider_id',
  'id',
  ' ',
  'limit ',
]
/** Mostly valid values per parameter, so that many queries get past the parser to the store. */
const VALID: Record<string, fc.Arbitrary<string>> = {
  state: fc.uniqueArray(fc.constantFrom(...TICKET_STATES), { minLength: 1 }).map((s) => s.join(',')),
  cancel_reason_id: fc.uniqueArray(fc.integer({ min: -3, max: 12 }), { minLength: 1, maxLength: 3 }).map((s) => s.join(',')),
  external_reference: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 10 }), control),
  externally_processed: fc.constantFrom('true', 'false'),
  vin: fc.oneof(fc.constantFrom('JH4KA7630PC007649', ''), fc.string({ unit: 'binary-ascii', minLength: 17, maxLength: 17 })),
  voucher_code: fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), control),
  limit: fc.integer({ min: 0, max: 1000 }).map(String),
  offset: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })).map(String),
}
const validValue = (name: string): fc.Arbitrary<string> => {
  if (VALID[name]) return VALID[name]
  if (name.startsWith('sort_by')) return fc.constantFrom('asc', 'desc')
  if (/_(after|before)$/.test(name)) return validDate.map((d) => d.toISOString().replace('Z', '+00:00'))
  if (name.endsWith('_id')) return uuid
  return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)
}
const validishQuery = fc
  .uniqueArray(fc.constantFrom(...KNOWN), { maxLength: 5 })
  .chain((names) => fc.tuple(...names.map((name) => validValue(name).map((value) => `${name}=${encodeLoose(value)}`))))
  .map((pairs) => pairs.join('&'))
const queryName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_NAMES) },
  encoded(hostile),
)
const pair = fc
  .tuple(queryName, fc.option(encoded(anyValue), { freq: 8, nil: undefined }))
  .map(([name, value]) => (value === undefined ? name : `${name}=${value}`))
const hostileQuery = fc.array(pair, { maxLength: 8 }).map((pairs) => pairs.join('&'))
const garbageQuery = fc.string({
  unit: fc.constantFrom(
    '&',
    '=',
    '%',
    '[',
    ']',
    '+',
    ',',
    '#',
    '?',
    's',
    't',
    '_',
    '0',
    '9',
    'é',
    '%2',
    '%zz',
    'state',
    'sort_by',
    'limit',
    'vin',
  ),
  maxLength: 30,
})
const listRequest = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: validishQuery }, { weight: 5, arbitrary: hostileQuery }, garbageQuery),
    fc.option(fc.constantFrom('application/json', '*/*', 'application/xml', 'text/html', 'application/problem+json', 'x;;q=y')),
  )
  .map(([qs, accept]) =>
    printable({
      method: 'GET',
      url: `/v2/tickets/tickets${qs ? `?${qs}` : ''}`,
      headers: accept === null ? {} : { accept },
      auth: AS_A,
      body: undefined,
    }),
  )

// ---- forged cursors ---------------------------------------------------------------------------------
// `after` is a cursor this API made, but nothing stops a client from forging one: random bytes,
// base64 of hostile JSON, well-shaped cursors whose values are out of range, of the wrong type
// or huge. Each must be a 2xx (a forged cursor can be a valid one) or a problem, never a 5xx.
const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined')).toString('base64url')
const sortSpec = fc
  .uniqueArray(fc.constantFrom(...SORT_FIELD_NAMES), { minLength: 1, maxLength: 3 })
  .chain((fields) => fc.tuple(...fields.map((f) => fc.constantFrom('asc', 'desc').map((d): [string, string] => [f, d]))))
const cursorValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: validDate.map((d) => d.toISOString()) },
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.constantFrom(
    '9223372036854775807',
    '9223372036854775808',
    '9999999999999999999',
    '-9223372036854775809',
    '-0',
    '007',
    '1e3',
    ' 1',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999999Z',
    '10000-01-01T00:00:00Z',
    '0000-12-31T23:59:59Z',
    '2024-02-30T00:00:00Z',
    '2024-01-01T00:00:00.1234567Z',
    'infinity',
    '-infinity',
    'epoch',
    'allballs',
    'now',
    'NaN',
    '',
  ),
  fc.constant(null),
  fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }), fc.object({ maxDepth: 1 })),
  hostile,
)
/** Mostly a value the field could hold, often one just out of its range, now and then anything. */
const fieldValue = (field: string): fc.Arbitrary<unknown> =>
  field === 'ticket_number'
    ? fc.oneof(
        { weight: 3, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) },
        {
          weight: 3,
          arbitrary: fc
            .oneof(fc.bigInt({ min: 2n ** 63n, max: 10n ** 19n - 1n }), fc.bigInt({ min: -(10n ** 19n) + 1n, max: -(2n ** 63n) - 1n }))
            .map(String),
        },
        cursorValue,
      )
    : fc.oneof(
        { weight: 3, arbitrary: validDate.map((d) => d.toISOString()) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            '0000-01-01T00:00:00Z',
            '10000-01-01T00:00:00Z',
            '9999-12-31T23:59:59-01:00',
            '0001-01-01T00:00:00+01:00',
            '294277-01-01T00:00:00Z',
          ),
        },
        cursorValue,
      )
const cursorId: fc.Arbitrary<unknown> = fc.oneof({ weight: 3, arbitrary: uuid }, oddUuid, hostile, fc.integer(), fc.constant(null))
const forgedCursor = sortSpec.chain((sort) =>
  fc.oneof(
    // Well-shaped for this sort, so that it gets past the shape checks to the values.
    {
      weight: 4,
      arbitrary: fc
        .record({ v: fc.tuple(...sort.map(([field]) => fieldValue(field))), id: cursorId })
        .map(({ v, id }) => ({ sort, after: b64({ s: sort, v, id }) })),
    },
    // Nearly shaped: members missing, extra, of the wrong type or length.
    fc
      .dictionary(
        fc.constantFrom('s', 'v', 'id', '__proto__', 'x'),
        fc.oneof(fc.constant(sort), fc.array(cursorValue, { maxLength: 4 }), cursorId, fc.jsonValue({ maxDepth: 2 })),
        { maxKeys: 4 },
      )
      .map((o) => ({ sort, after: b64(o) })),
    fc.jsonValue({ maxDepth: 3 }).map((j) => ({ sort, after: b64(j) })),
    fc.string({ unit: 'binary', maxLength: 60 }).map((t) => ({ sort, after: b64(t) })),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ sort, after: Buffer.from(bytes).toString('base64url') })),
    fc.constantFrom(3_000, 100_000).map((n) => ({ sort, after: b64({ s: sort, v: sort.map(() => '9'.repeat(n)), id: A_IDS[0] }) })),
    encoded(hostile).map((after) => ({ sort, after })),
  ),
)
const cursorRequest = fc.tuple(forgedCursor, fc.option(validishQuery, { freq: 3 })).map(([{ sort, after }, qs]) => {
  const sortBy = sort.map(([field, direction]) => `sort_by[${field}]=${direction}`).join('&')
  return printable({
    method: 'GET',
    url: `/v2/tickets/tickets?${sortBy}&after=${after}${qs ? `&${qs.replace(/(^|&)sort_by[^&]*/g, '')}` : ''}`,
    headers: {},
    auth: AS_A,
    body: undefined,
  })
})

// ---- single-ticket paths --------------------------------------------------------------------------
const segment = fc.oneof(
  { weight: 4, arbitrary: uuid },
  oddUuid,
  fc.constantFrom(
    '',
    '.',
    '..',
    '%2e%2e',
    '%2F',
    '%00',
    '%zz',
    '%',
    '%E2%82',
    'é',
    '%C3%A9',
    ' ',
    '%20',
    'null',
    '0',
    '-1',
    '{id}',
    ':ticketId',
    '*',
    '?',
    '#',
  ),
  encoded(hostile),
  fc.constantFrom(99, 100, 101, 255, 5000).map((n) => 'a'.repeat(n)),
)
const pathRequest = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'PATCH', 'PUT', 'DELETE', 'POST', 'OPTIONS'),
    segments: fc.oneof({ weight: 4, arbitrary: segment.map((one) => [one]) }, fc.array(segment, { minLength: 2, maxLength: 3 })),
    slash: fc.boolean(),
    query: fc.option(hostileQuery, { freq: 4 }),
    ifNoneMatch: fc.option(fc.constantFrom('*', 'W/"x"', '"x", W/"y"', '""', 'garbage', ',')),
    requestId: fc.option(fc.oneof(fc.uuid(), hostile)),
  })
  .map(({ method, segments, slash, query, ifNoneMatch, requestId }) => {
    const headers: Record<string, string> = {}
    if (ifNoneMatch !== null) headers['if-none-match'] = ifNoneMatch
    if (requestId !== null) headers['x-request-id'] = requestId
    const write = method === 'PATCH' || method === 'PUT' || method === 'POST'
    if (write) headers['content-type'] = 'application/json'
    const url = `/v2/tickets/tickets/${segments.join('/')}${slash ? '/' : ''}${query === null ? '' : `?${query}`}`
    return printable({ method, url, headers, auth: AS_A, body: write ? { text: '{"externally_processed":true}' } : undefined })
  })

// ---- PATCH bodies ---------------------------------------------------------------------------------
const member = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('external_reference', 'externally_processed') },
  fc.constantFrom(...TICKET_FIELDS, 'provider_id', '', 'EXTERNAL_REFERENCE'),
  fc.string({ maxLength: 10 }),
)
const memberValue = fc.oneof(
  text(300),
  fc.boolean(),
  fc.constant(null),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(...SQLISH),
  long,
)
const INVALID_JSON = [
  '',
  ' ',
  '{',
  '}',
  '{"external_reference":',
  "{'externally_processed':true}",
  '{"externally_processed":true,}',
  'nul',
  'undefined',
  'NaN',
  '\uFEFF{"externally_processed":true}',
  '{"externally_processed":true}x',
  '{"external_reference":"\\ud800"}',
  '{"external_reference":"\\u0000"}',
  '{"externally_processed":true,"externally_processed":"x"}',
  '[]',
  '{}',
  'null',
  '0',
  '"x"',
  '{"__proto__":{"external_reference":"x"}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"external_reference":"a"}{"externally_processed":true}',
]
const asText = (value: unknown) => ({ text: JSON.stringify(value) ?? 'null' })
const bodies: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ external_reference: text(255), externally_processed: fc.boolean() }, { requiredKeys: [] }).map(asText),
  },
  { weight: 3, arbitrary: fc.dictionary(member, memberValue, { maxKeys: 4 }).map(asText) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(asText) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([v, cut]) => ({ text: asText(v).text.slice(0, cut % 40) })),
  },
  { weight: 2, arbitrary: fc.constantFrom(...INVALID_JSON).map((text) => ({ text })) },
  fc
    .tuple(fc.constantFrom(10, 1000, 10_000, 100_000), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"external_reference":', '}']))
    .map(([deep, [open, close]]) => ({ deep, open: open!, close: close! })),
  fc
    .tuple(fc.constantFrom(-1000, -1, 0, 1, 1000), fc.constantFrom('x', 'é', '\\u0041'))
    .map(([offset, char]) => ({ huge: BODY_LIMIT_BYTES + offset, char })),
)
const contentType = fc.option(
  fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    fc.constantFrom(
      'application/merge-patch+json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/merge-patch+json; foo="bar"',
      'application/json;charset=latin1',
      'application/json; charset=utf-16',
    ),
    fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json-patch+json',
      '',
      'application/json, text/plain',
      ';',
    ),
  ),
  { freq: 10 },
)
const patchRequest = fc
  .record({
    id: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...A_IDS) }, fc.constantFrom(...B_IDS), fc.uuid(), fc.constant('not-a-uuid')),
    body: bodies,
    type: contentType,
    ifMatch: fc.option(fc.constantFrom('*', '"x"', 'W/"x"', '', '"a", "b"'), { freq: 5 }),
    auth: fc.oneof(
      { weight: 8, arbitrary: fc.constant(AS_A) },
      fc.constantFrom<Auth>({ token: READ_TOKEN, tamper: 'none' }, { token: REVOKED_TOKEN, tamper: 'none' }, undefined),
    ),
  })
  .map(({ id, body, type, ifMatch, auth }) => {
    const headers: Record<string, string> = {}
    if (type !== null) headers['content-type'] = type
    if (ifMatch !== null) headers['if-match'] = ifMatch
    return printable({ method: 'PATCH', url: `/v2/tickets/tickets/${id}`, headers, auth, body })
  })

// ---- token endpoint -------------------------------------------------------------------------------
const formValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('client_credentials', 'client_credentials', 'password', 'CLIENT_CREDENTIALS', '') },
  fc.constantFrom(
    CLIENT_ID,
    SECRET,
    'tc_unknown',
    'tickets:read',
    'tickets:write',
    'tickets:read tickets:write',
    'tickets:admin',
    '  ',
    'openid',
  ),
  hostile,
)
const formName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope') },
  fc.constantFrom('GRANT_TYPE', 'grant_type[]', 'username', 'password', ''),
  encoded(hostile),
)
const formPair = fc.tuple(formName, encoded(formValue)).map(([n, v]) => `${n}=${v}`)
const nearly = (right: string) => fc.option(fc.oneof({ weight: 4, arbitrary: fc.constant(right) }, formValue), { freq: 6 })
/** Mostly the right fields with mostly the right values, so that some requests get a token. */
const tokenForm = fc
  .record({
    grant_type: nearly('client_credentials'),
    client_id: nearly(CLIENT_ID),
    client_secret: nearly(SECRET),
    scope: fc.option(
      fc.oneof(
        fc.constantFrom('tickets:read', 'tickets:write', 'tickets:read tickets:write', ' tickets:read  ', 'tickets:admin'),
        formValue,
      ),
      { freq: 2 },
    ),
    extra: fc.array(formPair, { maxLength: 2 }),
  })
  .map(({ extra, ...fields }) => {
    const named = Object.entries(fields).flatMap(([name, value]) => (value === null ? [] : [`${name}=${encodeLoose(value)}`]))
    return [...named, ...extra].join('&')
  })
const FORM = 'application/x-www-form-urlencoded'
const tokenType = fc.option(
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(FORM) },
    fc.constantFrom(
      `${FORM}; charset=utf-8`,
      'Application/X-WWW-Form-Urlencoded',
      'application/json',
      'text/plain',
      'multipart/form-data; boundary=x',
      '',
    ),
  ),
  { freq: 8 },
)
const tokenPost = (body: string, type: string | null, auth: Auth) =>
  printable({ method: 'POST', url: '/oauth2/token', headers: type === null ? {} : { 'content-type': type }, auth, body: { text: body } })
/** Client credentials in the form body (and now and then a stray Authorization header). */
const formTokenRequest = fc
  .record({
    body: fc.oneof(
      { weight: 2, arbitrary: tokenForm },
      { weight: 3, arbitrary: fc.array(formPair, { maxLength: 6 }).map((p) => p.join('&')) },
      fc.constantFrom(
        '{"grant_type":"client_credentials"}',
        '%',
        'grant_type',
        '&&&',
        '=',
        'grant_type=client_credentials&grant_type=client_credentials',
      ),
      long,
    ),
    type: tokenType,
    auth: fc.option(fc.oneof(fc.constantFrom('Basic', 'Basic !!!', 'Basic Zm9v', 'Bearer x', `Basic ${'QQ'.repeat(5000)}`), hostile), {
      freq: 6,
      nil: undefined,
    }),
  })
  .map(({ body, type, auth }) => tokenPost(body, type, auth))
/** Client credentials in HTTP Basic, mostly with a body that asks for nothing else. */
const basicPart = (right: string) => fc.oneof({ weight: 2, arbitrary: fc.constant(right) }, hostile, control)
const basicTokenRequest = fc
  .record({
    body: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('grant_type=client_credentials', 'grant_type=client_credentials&scope=tickets%3Aread') },
      fc.array(formPair, { maxLength: 3 }).map((p) => p.join('&')),
    ),
    type: tokenType,
    basic: fc.tuple(basicPart(CLIENT_ID), basicPart(SECRET)),
  })
  .map(({ body, type, basic }) => tokenPost(body, type, { basic }))
const tokenRequest = fc.oneof({ weight: 3, arbitrary: formTokenRequest }, basicTokenRequest)

// ---- Authorization headers on /v2 -------------------------------------------------------------------
const claim = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
)
const claims = fc.record(
  {
    sub: fc.oneof(fc.constant(CLIENT_ID), claim),
    pid: fc.oneof(fc.constantFrom(PROVIDER_A, PROVIDER_B), claim),
    scope: fc.oneof(fc.constantFrom('tickets:read tickets:write', 'tickets:read', '', 'tickets:admin'), claim),
    iss: fc.oneof(fc.constant('tickets-api'), claim),
    aud: fc.oneof(fc.constant('tickets-api'), claim),
    exp: fc.oneof(fc.integer({ min: -7200, max: 7200 }), claim), // seconds from now
    nbf: fc.integer({ min: -60, max: 3600 }),
  },
  { requiredKeys: [] },
)
const authHeader: fc.Arbitrary<Auth> = fc.oneof(
  fc
    .tuple(
      claims,
      fc.constantFrom('HS256', 'HS256', 'HS384', 'none'),
      fc.constantFrom('store', 'other'),
      fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', 'Basic ', ''),
    )
    .map(([jwt, alg, key, prefix]) => ({ jwt, alg, key, prefix })),
  fc.record({
    token: fc.constantFrom(TOKEN, READ_TOKEN, REVOKED_TOKEN),
    tamper: fc.constantFrom<Tamper>('none', 'append', 'truncate', 'double', 'bare', 'upper', 'flip-payload'),
  }),
  fc.tuple(fc.boolean(), fc.oneof(hostile, fc.base64String({ maxLength: 200 }))).map(([scheme, s]) => (scheme ? `Bearer ${s}` : s)),
  fc.constantFrom('Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer ...', `Bearer ${'a'.repeat(20_000)}`, 'Basic Zm9vOmJhcg==', '', undefined),
)
const ROUTES = [
  'GET /v2/tickets/tickets',
  'GET /v2/tickets/tickets?state=closed',
  `GET /v2/tickets/tickets/${A_IDS[0]}`,
  `PATCH /v2/tickets/tickets/${A_IDS[1]}`,
]
const authRequest = fc.tuple(authHeader, fc.constantFrom(...ROUTES)).map(([auth, route]) => {
  const [method, url] = route.split(' ') as [string, string]
  const patch = method === 'PATCH'
  const headers: Record<string, string> = patch ? { 'content-type': 'application/json' } : {}
  return printable({ method, url, headers, auth, body: patch ? { text: '{"external_reference":"fuzz"}' } : undefined })
})

// ---- the checks -------------------------------------------------------------------------------------
const LEAKS = [
  / {4}at /,
  /\bSELECT\b/,
  /\bFROM\s+"?(tickets|api_clients)\b/,
  /(?<!source_)provider_id/,
  /\bWHERE\b/,
  /ORDER BY/,
  /syntax error/i,
  /violates/i,
  /relation "/,
  /\bpg_/,
  /kysely/i,
  /pglite/i,
  /SQLSTATE/,
  /node_modules/,
  /\.[jt]s:\d+/,
  /secret_hash/,
]
const leniently = (s: string) =>
  s.replace(/\+/g, ' ').replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
const LOCATIONS = new Set(['query', 'path', 'body', 'header'])
const MEMBERS = new Set(['type', 'title', 'status', 'detail', 'code', 'errors', 'error'])
const OAUTH_ERRORS = new Set(['invalid_request', 'invalid_client', 'unsupported_grant_type', 'invalid_scope'])

/** Throws (with the request and response) unless the response is a 2xx/3xx or a proper problem. */
function verify(req: Req, sent: InjectOptions, res: LightMyRequestResponse): void {
  const fail = (why: string): never => {
    throw new Error(`${why}\n  request:  ${show(req)}\n  response: ${res.statusCode} ${res.headers['content-type']} ${clip(res.body, 600)}`)
  }
  if (res.statusCode >= 500) fail('5xx response')
  if (res.statusCode < 400) return
  if (!/^application\/problem\+json(;|$)/.test(String(res.headers['content-type']))) fail('4xx without application/problem+json')
  if (res.statusCode === 401 && !res.headers['www-authenticate']) fail('401 without WWW-Authenticate')
  if (res.statusCode === 405 && !res.headers.allow) fail('405 without Allow')
  if (req.method === 'HEAD') return

  // An SQL word or file name in a problem is a leak, unless the request itself carried it (echoed names).
  const payload = typeof sent.payload === 'string' && sent.payload.length < 200_000 ? sent.payload : ''
  const sentText = [sent.url, ...Object.values(sent.headers ?? {}), payload].map(String).join('\n')
  const echo = `${sentText}\n${leniently(sentText)}`.toLowerCase()
  for (const leak of LEAKS) {
    const found = leak.exec(res.body)?.[0].toLowerCase()
    if (found && !echo.includes(found) && !JSON.stringify(echo).includes(found)) fail(`body leaks ${leak}`)
  }

  let p: Record<string, unknown> = {}
  try {
    p = JSON.parse(res.body) as Record<string, unknown>
  } catch {
    fail('problem body is not JSON')
  }
  const extra = Object.keys(p).filter((k) => !MEMBERS.has(k))
  if (extra.length > 0) fail(`problem has unexpected members ${extra.join(', ')}`)
  if (p.type !== 'about:blank' || typeof p.title !== 'string' || p.title === '') fail('problem type/title missing')
  if (p.status !== res.statusCode) fail('problem status differs from the HTTP status')
  if (typeof p.detail !== 'string' || p.detail.trim() === '') fail('problem detail missing')
  if (ERROR_CATALOG[p.code as keyof typeof ERROR_CATALOG]?.status !== res.statusCode)
    fail(`code ${String(p.code)} is not a slug for ${res.statusCode}`)
  if (p.errors !== undefined) {
    if (!Array.isArray(p.errors) || p.errors.length === 0) fail('errors[] present but empty')
    for (const e of p.errors as Array<Record<string, unknown>>) {
      const wellFormed = LOCATIONS.has(e.in as string) && typeof e.name === 'string' && typeof e.detail === 'string' && e.detail !== ''
      if (!wellFormed || Object.keys(e).length !== 3) fail('malformed errors[] entry')
    }
  }
  if (req.url.startsWith('/oauth2/token') && !OAUTH_ERRORS.has(p.error as string))
    fail('token endpoint 4xx without an RFC 6749 error member')
}

describeEachStore(
  'HTTP fuzz',
  (ctx) => {
    let app: FastifyInstance
    const fills: Record<string, string> = {}
    let storeSecret = ''

    beforeAll(async () => {
      app = await createTestApp(ctx.store)
      fills[TOKEN] = await tokenFor(app, ctx.store, PROVIDER_A)
      fills[READ_TOKEN] = await tokenFor(app, ctx.store, PROVIDER_A, ['tickets:read'])
      const revoked = await createClient(ctx.store, PROVIDER_A)
      fills[REVOKED_TOKEN] = (
        JSON.parse((await requestToken(app, revoked.clientId, revoked.secret)).body) as { access_token: string }
      ).access_token
      await ctx.store.revokeClient(revoked.clientId, new Date())
      const client = await createClient(ctx.store, PROVIDER_A)
      fills[CLIENT_ID] = client.clientId
      fills[SECRET] = client.secret
      // The legacy key: it verifies kid-less tokens like the ones forged here.
      storeSecret = (await ctx.store.listSigningKeys()).find((key) => key.kid === 'primary')!.secret
    })
    afterAll(async () => {
      await app?.close()
    })

    const fill = (s: string) => s.replace(/__(token|read_token|revoked_token|client_id|secret)__/g, (m) => fills[m] ?? m)

    async function authorization(auth: Auth): Promise<string | undefined> {
      if (auth === undefined || typeof auth === 'string') return auth === undefined ? undefined : fill(auth)
      if ('basic' in auth) return `Basic ${Buffer.from(`${fill(auth.basic[0])}:${fill(auth.basic[1])}`).toString('base64')}`
      if ('token' in auth) {
        const t = fill(auth.token)
        const [header, payload, signature] = t.split('.') as [string, string, string]
        const otherProvider = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), pid: PROVIDER_B }))
        const tampered = {
          none: t,
          bare: t,
          append: `${t}x`,
          truncate: t.slice(0, -5),
          double: `${t}.${t}`,
          upper: t.toUpperCase(),
          'flip-payload': `${header}.${otherProvider.toString('base64url')}.${signature}`,
        }[auth.tamper]
        return auth.tamper === 'bare' ? tampered : `Bearer ${tampered}`
      }
      const now = Math.floor(Date.now() / 1000)
      const relative = (k: string, v: unknown) => ((k === 'exp' || k === 'nbf') && typeof v === 'number' ? now + v : v)
      const payload = Object.fromEntries(Object.entries(auth.jwt).map(([k, v]) => [k, typeof v === 'string' ? fill(v) : relative(k, v)]))
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
      if (auth.alg === 'none') return `${auth.prefix}${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`
      const key = new TextEncoder().encode(auth.key === 'store' ? storeSecret : 'not-the-signing-secret-of-this-store')
      return `${auth.prefix}${await new SignJWT(payload).setProtectedHeader({ alg: auth.alg }).sign(key)}`
    }

    function payloadOf(body: Body): string | undefined {
      if (!body) return undefined
      if ('text' in body) return fill(body.text)
      if ('deep' in body) return body.open.repeat(body.deep) + (body.open === '[' ? '' : '1') + body.close.repeat(body.deep)
      // A body of about body.huge bytes: one long external_reference.
      const prefix = '{"external_reference":"'
      return `${prefix}${body.char.repeat(Math.floor((body.huge - prefix.length - 2) / Buffer.byteLength(body.char)))}"}`
    }

    async function send(req: Req): Promise<LightMyRequestResponse> {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, fill(v)]))
      const auth = await authorization(req.auth)
      if (auth !== undefined) headers.authorization = auth
      const payload = payloadOf(req.body)
      const sent: InjectOptions = {
        method: req.method as InjectOptions['method'],
        url: fill(req.url),
        headers,
        ...(payload === undefined ? {} : { payload }),
      }
      const response = await app.inject(sent)
      verify(req, sent, response)
      return response
    }

    const check = (arb: fc.Arbitrary<Req>, numRuns: number) =>
      fc.assert(
        fc.asyncProperty(arb, async (req) => {
          await send(req)
        }),
        { seed: SEED, numRuns, ...(REPLAY ? { path: REPLAY } : {}) },
      )

    it('answers random and hostile list query strings with a 2xx or a problem, never a 5xx', () => check(listRequest, 800), TIMEOUT)
    it('answers forged after= cursors with a 2xx or a problem, never a 5xx', () => check(cursorRequest, 400), TIMEOUT)
    it('answers random paths under /v2/tickets/tickets/ with a 2xx, 304 or a problem', () => check(pathRequest, 600), TIMEOUT)
    it('answers random PATCH bodies and content types with a 2xx or a problem', () => check(patchRequest, 600), TIMEOUT)
    it('answers random token requests with a token or an RFC 6749 problem', () => check(tokenRequest, 200), TIMEOUT)
    it('answers random Authorization headers on /v2 with a 2xx or a 401/403 problem', () => check(authRequest, 600), TIMEOUT)

    // Inputs found by fuzzing (or worth pinning): each must stay a problem response. `status`
    // is checked when only one answer is right; otherwise any non-5xx problem will do.
    const JSON_TYPE = { 'content-type': 'application/json' }
    const FORM_TYPE = { 'content-type': FORM }
    const NONE_TOKEN: Auth = {
      jwt: { sub: CLIENT_ID, pid: PROVIDER_A, scope: 'tickets:read', iss: 'tickets-api', aud: 'tickets-api', exp: 600 },
      alg: 'none',
      key: 'store',
      prefix: 'Bearer ',
    }
    const pinned: Array<[string, Req, number | undefined]> = [
      [
        'a NUL in external_reference',
        { method: 'GET', url: '/v2/tickets/tickets?external_reference=a%00b', headers: {}, auth: AS_A, body: undefined },
        undefined,
      ],
      [
        'a NUL in voucher_code',
        { method: 'GET', url: '/v2/tickets/tickets?voucher_code=%00', headers: {}, auth: AS_A, body: undefined },
        undefined,
      ],
      [
        'a 17-character VIN of NULs',
        { method: 'GET', url: `/v2/tickets/tickets?vin=${'%00'.repeat(17)}`, headers: {}, auth: AS_A, body: undefined },
        undefined,
      ],
      [
        'a NUL in a patched external_reference',
        {
          method: 'PATCH',
          url: `/v2/tickets/tickets/${A_IDS[0]}`,
          headers: JSON_TYPE,
          auth: AS_A,
          body: { text: '{"external_reference":"a\\u0000"}' },
        },
        400,
      ],
      [
        'a NUL in the client_id of a token request',
        {
          method: 'POST',
          url: '/oauth2/token',
          headers: FORM_TYPE,
          auth: undefined,
          body: { text: 'grant_type=client_credentials&client_id=%00&client_secret=x' },
        },
        undefined,
      ],
      [
        'a NUL in HTTP Basic client credentials',
        {
          method: 'POST',
          url: '/oauth2/token',
          headers: FORM_TYPE,
          auth: { basic: ['a\u0000b', 'x'] },
          body: { text: 'grant_type=client_credentials' },
        },
        undefined,
      ],
      [
        'a percent-encoded NUL in HTTP Basic client credentials',
        {
          method: 'POST',
          url: '/oauth2/token',
          headers: FORM_TYPE,
          auth: { basic: ['a%00b', 'x'] },
          body: { text: 'grant_type=client_credentials' },
        },
        undefined,
      ],
      [
        'a malformed percent-encoding in the ticket id',
        { method: 'GET', url: '/v2/tickets/tickets/%zz', headers: {}, auth: AS_A, body: undefined },
        400,
      ],
      [
        'a ticket id longer than 100 characters',
        { method: 'GET', url: `/v2/tickets/tickets/${'a'.repeat(101)}`, headers: {}, auth: AS_A, body: undefined },
        undefined,
      ],
      [
        'a body one byte over 1 MiB',
        {
          method: 'PATCH',
          url: `/v2/tickets/tickets/${A_IDS[0]}`,
          headers: JSON_TYPE,
          auth: AS_A,
          body: { huge: BODY_LIMIT_BYTES + 1, char: 'x' },
        },
        413,
      ],
      [
        '100 000 nested arrays',
        {
          method: 'PATCH',
          url: `/v2/tickets/tickets/${A_IDS[0]}`,
          headers: JSON_TYPE,
          auth: AS_A,
          body: { deep: 100_000, open: '[', close: ']' },
        },
        400,
      ],
      [
        'a cursor whose ticket_number is beyond int64',
        {
          method: 'GET',
          url: `/v2/tickets/tickets?sort_by[ticket_number]=asc&after=${b64({ s: [['ticket_number', 'asc']], v: ['9999999999999999999'], id: A_IDS[0] })}`,
          headers: {},
          auth: AS_A,
          body: undefined,
        },
        400,
      ],
      [
        'a cursor whose date is past the year 9999',
        {
          method: 'GET',
          url: `/v2/tickets/tickets?after=${b64({ s: [['created_at', 'asc']], v: ['10000-01-01T00:00:00Z'], id: A_IDS[0] })}`,
          headers: {},
          auth: AS_A,
          body: undefined,
        },
        400,
      ],
      [
        'a cursor whose sort key is not a pair',
        {
          method: 'GET',
          url: `/v2/tickets/tickets?after=${b64({ s: [null], v: ['2024-01-01T00:00:00Z'], id: A_IDS[0] })}`,
          headers: {},
          auth: AS_A,
          body: undefined,
        },
        400,
      ],
      ['an alg=none token', { method: 'GET', url: '/v2/tickets/tickets', headers: {}, auth: NONE_TOKEN, body: undefined }, 401],
    ]
    it.each(pinned)('answers %s with a problem, not a 5xx', async (_what, req, status) => {
      const response = await send(printable(req))
      if (status !== undefined) expect(response.statusCode).toBe(status)
    })
  },
  seedStore,
)
