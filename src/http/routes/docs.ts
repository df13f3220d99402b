// GET /openapi.json and GET /docs, both computed once when the app is ready, from the routes
// it registered. Neither is in the document: they are the document.
import type { FastifyInstance } from 'fastify'
import { openApiDocument } from '../openapi/document.js'
import type { RecordedRoute } from '../openapi/route-recorder.js'
import { renderDocsPage } from '../docs-page.js'

export function registerDocsRoutes(app: FastifyInstance, routes: readonly RecordedRoute[]): void {
  let json = ''
  let html = ''
  app.addHook('onReady', async () => {
    const document = openApiDocument(routes)
    json = JSON.stringify(document)
    html = renderDocsPage(document)
  })
  app.get('/openapi.json', async (_request, reply) => reply.type('application/json').send(json))
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html))
}
