// GET /openapi.json and GET /docs, both computed once at start-up from the contract.
import type { FastifyInstance } from 'fastify'
import { buildOpenApiDocument } from '../openapi.js'
import { renderDocsPage } from '../docs-page.js'

export function registerDocsRoutes(app: FastifyInstance): void {
  const document = buildOpenApiDocument()
  const json = JSON.stringify(document)
  const html = renderDocsPage(document)
  app.get('/openapi.json', async (_request, reply) => reply.type('application/json').send(json))
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html))
}
