// The client's types must be the server's: client/src/api-types.ts is generated from the
// OpenAPI document (npm run gen:client-types), and the running server must serve exactly that
// document at /openapi.json. Either drifting fails here.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateClientTypes } from '../../scripts/gen-client-types.js'
import { buildOpenApiDocument } from '../../src/http/openapi.js'
import { startLiveApi, type LiveApi } from './support.js'

const checkedIn = () => readFileSync(new URL('../src/api-types.ts', import.meta.url), 'utf8')
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>

describe('client types drift', () => {
  let api: LiveApi
  beforeAll(async () => {
    api = await startLiveApi()
  })
  afterAll(async () => {
    await api?.close()
  })

  it('client/src/api-types.ts is what the generator makes of the document (run `npm run gen:client-types`)', async () => {
    expect(checkedIn()).toBe(generateClientTypes(await buildOpenApiDocument()))
  })

  it('the running server serves that same document at /openapi.json, so the types match what it serves', async () => {
    const response = await fetch(`${api.baseUrl}/openapi.json`)
    expect(response.status).toBe(200)
    const served = (await response.json()) as Record<string, unknown>
    expect(served).toEqual(asJson(await buildOpenApiDocument()))
    expect(generateClientTypes(served)).toBe(checkedIn())
  })

  it('refuses a schema keyword it does not know rather than emitting a looser type', () => {
    const document = {
      info: { title: 'T', version: '1' },
      paths: { '/t': { get: { operationId: 'listTickets', parameters: [] } } },
      components: { schemas: { Thing: { allOf: [{ type: 'string' }] } } },
    }
    expect(() => generateClientTypes(document)).toThrow('Thing: unsupported JSON Schema keyword "allOf"')
  })

  it('emits nullable types, enums, consts, arrays, maps and $refs as TypeScript', () => {
    const document = {
      info: { title: 'T', version: '1' },
      paths: { '/t': { get: { operationId: 'listTickets', parameters: [{ name: 'n', in: 'query', schema: { type: 'integer' } }] } } },
      components: {
        schemas: {
          Color: { type: 'string', enum: ['red', 'green'] },
          Thing: {
            type: 'object',
            required: ['color', 'kind', 'maybe'],
            properties: {
              color: { $ref: '#/components/schemas/Color' },
              kind: { type: 'string', const: 'thing' },
              maybe: { type: ['integer', 'null'], description: 'A number or null.' },
              tags: { type: 'array', items: { type: 'string' } },
              counts: { type: 'object', additionalProperties: { type: 'integer' } },
              'odd-name': { type: 'boolean' },
            },
            additionalProperties: false,
          },
        },
      },
    }
    const emitted = generateClientTypes(document)
    expect(emitted).toContain("export type Color = 'red' | 'green'\n")
    expect(emitted).toContain(
      [
        'export interface Thing {',
        '  color: Color',
        "  kind: 'thing'",
        '  /** A number or null. */',
        '  maybe: number | null',
        '  tags?: string[]',
        '  counts?: Record<string, number>',
        "  'odd-name'?: boolean",
        '}',
      ].join('\n'),
    )
    expect(emitted).toContain('export interface ListTicketsParameters {\n  n?: number\n}')
  })
})
