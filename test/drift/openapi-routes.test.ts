// Every route the app registers is in the OpenAPI document it serves, and every operation of
// the document is a registered route. The registered routes are read from Fastify's own
// router (printRoutes), not from the recorder the document is built with, so a route added
// by any means, without `config.openapi`, fails here.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openApiPath } from '../../src/http/openapi/openapi-path.js'
import { createTestApp } from '../support/api.js'
import { openTestStore, type TestStore } from '../support/stores.js'

// The document's own routes: they serve the document (and its HTML rendering), so they are not in it.
const UNDOCUMENTED = ['GET /openapi.json', 'GET /docs']
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']

/** "METHOD /path" of every route in Fastify's router, Fastify's automatic HEAD beside a GET left out. */
function registeredRoutes(app: FastifyInstance): string[] {
  const pathAtDepth: string[] = []
  const routes: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    // "│   └── /:ticketId (GET, HEAD, PATCH)": four characters of indent per level of the tree.
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]*)\))?$/.exec(line)
    if (!match) continue
    const depth = match[1]!.length / 4
    const path = (depth > 0 ? pathAtDepth[depth - 1]! : '') + match[2]!
    pathAtDepth[depth] = path
    const methods = match[3]?.split(', ') ?? []
    for (const method of methods) if (method !== 'HEAD' || !methods.includes('GET')) routes.push(`${method} ${path}`)
  }
  return routes
}

function documentedOperations(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => HTTP_METHODS.includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  )
}

describe('OpenAPI document and registered routes', () => {
  let testStore: TestStore
  let app: FastifyInstance
  let registered: string[]
  let documented: string[]

  beforeAll(async () => {
    testStore = await openTestStore('embedded')
    app = await createTestApp(testStore.store)
    registered = registeredRoutes(app)
    documented = documentedOperations((await app.inject({ method: 'GET', url: '/openapi.json' })).json())
  })
  afterAll(async () => {
    await app?.close()
    await testStore?.dispose()
  })

  it('reads the registered routes from the router', () => {
    expect(registered).toEqual(
      expect.arrayContaining(['GET /v2/tickets/tickets', 'PATCH /v2/tickets/tickets/:ticketId', 'POST /oauth2/token', ...UNDOCUMENTED]),
    )
  })

  it('documents every registered route (give it a config.openapi)', () => {
    const undocumented = registered
      .filter((route) => !UNDOCUMENTED.includes(route))
      .map((route) => {
        const [method, path] = route.split(' ') as [string, string]
        return `${method} ${openApiPath(path)}`
      })
      .filter((operation) => !documented.includes(operation))
    expect(undocumented).toEqual([])
  })

  it('registers every documented operation', () => {
    const served = new Set(registered.map((route) => route.replace(/ (.*)$/, (_match, path: string) => ` ${openApiPath(path)}`)))
    expect(documented.filter((operation) => !served.has(operation))).toEqual([])
    expect(documented).toHaveLength(new Set(documented).size)
  })
})
