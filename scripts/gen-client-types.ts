// Generates client/src/api-types.ts from the server's OpenAPI document, so the client's types
// are the server's schemas and cannot drift (client/test/types-drift.test.ts regenerates and
// compares). `npm run gen:client-types` writes the file.
//
// A small JSON Schema → TypeScript emitter for exactly the keywords the document uses. A keyword
// it does not know is an error, never silently dropped: a schema change that needs a new
// construct must teach the emitter, not produce a looser type.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildOpenApiDocument } from '../src/http/openapi.js'

type Json = Record<string, unknown>

/** Keywords that constrain values but do not change the TypeScript type. */
const VALIDATION_ONLY = new Set([
  'format',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'pattern',
  'default',
  'description',
  'title',
  'example',
  'examples',
])
const STRUCTURAL = new Set([
  'type',
  'enum',
  'const',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  '$ref',
  'anyOf',
  'oneOf',
])

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

export const typeNameOf = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('')

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

function literal(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return quote(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new Error(`cannot emit the literal ${JSON.stringify(value)}`)
}

const propertyKey = (name: string) => (IDENTIFIER.test(name) ? name : quote(name))

function docComment(schema: Json, indent: string): string {
  const lines: string[] = []
  if (typeof schema.description === 'string') lines.push(...schema.description.split('\n'))
  if (typeof schema.format === 'string') lines.push(`@format ${schema.format}`)
  if (schema.default !== undefined) lines.push(`@default ${JSON.stringify(schema.default)}`)
  if (lines.length === 0) return ''
  const safe = lines.map((line) => line.replace(/\*\//g, '*\\/'))
  if (safe.length === 1) return `${indent}/** ${safe[0]} */\n`
  return `${indent}/**\n${safe.map((line) => `${indent} * ${line}`.trimEnd()).join('\n')}\n${indent} */\n`
}

const union = (members: string[]) => [...new Set(members)].join(' | ')

class Emitter {
  /** Named declarations in emission order. */
  readonly declarations: string[] = []
  readonly #named = new Set<string>()

  constructor(private readonly componentNames: Set<string>) {}

  /** A named declaration: an interface for object schemas with properties, else a type alias. */
  declare(name: string, schema: Json): void {
    if (this.#named.has(name)) throw new Error(`two schemas would both be named ${name}`)
    this.#named.add(name)
    const comment = docComment(schema, '')
    if (schema.type === 'object' && schema.properties !== undefined && schema.$ref === undefined) {
      this.declarations.push(`${comment}export interface ${name} ${this.objectBody(schema, '', name)}\n`)
    } else {
      this.declarations.push(`${comment}export type ${name} = ${this.type(schema, '', name)}\n`)
    }
  }

  /** The TypeScript type of `schema`; `context` names hoisted inline objects. */
  type(schema: Json, indent: string, context: string): string {
    for (const key of Object.keys(schema))
      if (!VALIDATION_ONLY.has(key) && !STRUCTURAL.has(key)) throw new Error(`${context}: unsupported JSON Schema keyword "${key}"`)

    if (typeof schema.$ref === 'string') {
      const match = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)
      if (!match || !this.componentNames.has(match[1]!)) throw new Error(`${context}: unresolvable $ref ${schema.$ref}`)
      return typeNameOf(match[1]!)
    }
    if ('const' in schema) return literal(schema.const)
    if (Array.isArray(schema.enum)) return union(schema.enum.map(literal))
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      const members = schema[keyword]
      if (Array.isArray(members)) return union(members.map((member, i) => this.type(member as Json, indent, `${context}Option${i + 1}`)))
    }
    if (Array.isArray(schema.type)) return union(schema.type.map((type) => this.type({ ...schema, type }, indent, context)))

    switch (schema.type) {
      case 'null':
        return 'null'
      case 'string':
        return 'string'
      case 'integer':
      case 'number':
        return 'number'
      case 'boolean':
        return 'boolean'
      case 'array': {
        if (typeof schema.items !== 'object' || schema.items === null) throw new Error(`${context}: array without items`)
        const item = this.type(schema.items as Json, indent, `${context}Item`)
        return /^[\w']+$/.test(item) ? `${item}[]` : `Array<${item}>`
      }
      case 'object':
        return this.objectType(schema, indent, context)
      case undefined:
        // The empty schema (any JSON value), e.g. a change's old and new values.
        if (Object.keys(schema).every((key) => VALIDATION_ONLY.has(key))) return 'unknown'
        throw new Error(`${context}: a schema without a type`)
      default:
        throw new Error(`${context}: unsupported type ${JSON.stringify(schema.type)}`)
    }
  }

  private objectType(schema: Json, indent: string, context: string): string {
    const additional = schema.additionalProperties
    if (schema.properties === undefined) {
      if (typeof additional === 'object' && additional !== null) {
        const value = this.type(additional as Json, indent, `${context}Value`)
        if (schema.propertyNames !== undefined) {
          const names = schema.propertyNames as Json
          if (!Array.isArray(names.enum) || Object.keys(names).length !== 1)
            throw new Error(`${context}: propertyNames must be a plain enum`)
          return `Partial<Record<${union(names.enum.map(literal))}, ${value}>>`
        }
        return `Record<string, ${value}>`
      }
      return additional === false ? 'Record<string, never>' : 'Record<string, unknown>'
    }
    if (schema.propertyNames !== undefined) throw new Error(`${context}: propertyNames next to properties is not supported`)
    // A titled inline object becomes its own declaration (ProblemError); other inline objects
    // with properties are named after where they sit (TicketList.query → TicketListQuery).
    const name = typeof schema.title === 'string' ? typeNameOf(schema.title) : context
    if (indent !== '' || typeof schema.title === 'string') {
      if (!this.#named.has(name)) this.declare(name, schema)
      return name
    }
    return this.objectBody(schema, indent, context)
  }

  objectBody(schema: Json, indent: string, context: string): string {
    const properties = schema.properties as Record<string, Json>
    const required = new Set((schema.required as string[] | undefined) ?? [])
    for (const name of required) if (!(name in properties)) throw new Error(`${context}: required "${name}" has no property`)
    const inner = `${indent}  `
    const lines = Object.entries(properties).map(([name, property]) => {
      const optional = required.has(name) ? '' : '?'
      const type = this.type(property, inner, `${context}${typeNameOf(name)}`)
      return `${docComment(property, inner)}${inner}${propertyKey(name)}${optional}: ${type}`
    })
    const additional = schema.additionalProperties
    if (additional === undefined || additional === true) lines.push(`${inner}[member: string]: unknown`)
    else if (additional !== false) throw new Error(`${context}: additionalProperties with a schema next to properties is not supported`)
    return `{\n${lines.join('\n')}\n${indent}}`
  }
}

interface Parameter {
  name: string
  in: string
  required?: boolean
  description?: string
  style?: string
  explode?: boolean
  schema: Json
}

function listParametersOf(document: Json): Parameter[] {
  const paths = document.paths as Record<string, Record<string, { operationId?: string; parameters?: Parameter[] }>>
  for (const item of Object.values(paths))
    for (const operation of Object.values(item))
      if (operation.operationId === 'listTickets') return (operation.parameters ?? []).filter((p) => p.in === 'query')
  throw new Error('the document has no listTickets operation')
}

function operationPaths(document: Json): Array<[string, string, string]> {
  const paths = document.paths as Record<string, Record<string, unknown>>
  const operations: Array<[string, string, string]> = []
  for (const [path, item] of Object.entries(paths))
    for (const [method, operation] of Object.entries(item)) {
      const id = (operation as { operationId?: unknown }).operationId
      if (typeof id === 'string') operations.push([id, method.toUpperCase(), path])
    }
  return operations
}

export function generateClientTypes(document: Json): string {
  const schemas = (document.components as { schemas: Record<string, Json> }).schemas
  const emitter = new Emitter(new Set(Object.keys(schemas)))
  for (const [name, schema] of Object.entries(schemas)) emitter.declare(typeNameOf(name), schema)

  const parameters = listParametersOf(document)
  const queryProperties = Object.fromEntries(
    parameters.map((p) => [p.name, { ...p.schema, ...(p.description ? { description: p.description } : {}) }]),
  )
  emitter.declare('ListTicketsParameters', {
    type: 'object',
    description: 'The query parameters of GET /v2/tickets/tickets (listTickets) as the API defines them.',
    properties: queryProperties,
    required: parameters.filter((p) => p.required).map((p) => p.name),
    additionalProperties: false,
  })

  const parameterMeta = parameters.map((p) => {
    const types = ([] as unknown[]).concat(p.schema.type)
    const scalar = p.schema.type === 'array' ? ((p.schema.items as Json).type as string) : (types.find((t) => t !== 'null') as string)
    const fields = [
      `name: ${quote(p.name)}`,
      `list: ${p.schema.type === 'array'}`,
      `type: ${quote(scalar)}`,
      ...(typeof p.schema.format === 'string' ? [`format: ${quote(p.schema.format)}`] : []),
      ...(types.includes('null') ? ['nullable: true'] : []),
      ...(p.style ? [`style: ${quote(p.style)}`] : []),
    ]
    return `  { ${fields.join(', ')} },`
  })

  const operations = operationPaths(document).map(([id, method, path]) => `  ${id}: { method: ${quote(method)}, path: ${quote(path)} },`)

  const info = document.info as { title: string; version: string }
  return [
    `// Generated by scripts/gen-client-types.ts from the OpenAPI document of ${info.title} ${info.version}`,
    '// (src/http/openapi.ts, served at /openapi.json). Do not edit: run `npm run gen:client-types`.',
    '// client/test/types-drift.test.ts fails when this file differs from what the server serves.',
    '',
    ...emitter.declarations,
    '/** Every query parameter of listTickets, with how it is encoded. */',
    'export const LIST_TICKETS_PARAMETERS = [',
    ...parameterMeta,
    '] as const',
    '',
    '/** Method and path of every operation, by operationId. */',
    'export const OPERATIONS = {',
    ...operations,
    '} as const',
    '',
  ].join('\n')
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href
if (invokedDirectly) process.stdout.write(generateClientTypes(await buildOpenApiDocument()))
