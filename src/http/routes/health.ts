// Liveness and readiness probes. Readiness asks the store, so a load balancer stops sending
// traffic while PostgreSQL is away and resumes when it is back.
import type { FastifyInstance } from 'fastify'
import { HealthSchema } from '../../contract/health.js'
import type { AppContext } from '../context.js'
import type { OperationDoc } from '../openapi/operation-doc.js'
import { AppError } from '../../errors/app-error.js'
import { fromDatabaseError } from '../../errors/db-errors.js'

export function registerHealthRoutes(app: FastifyInstance, context: AppContext): void {
  const healthDoc: OperationDoc = {
    operationId: 'health',
    tags: ['Operations'],
    summary: 'Liveness',
    responses: { 200: { description: 'The process is alive.' } },
  }
  app.get('/healthz', { schema: { response: { 200: HealthSchema } }, config: { openapi: healthDoc } }, async () => ({ status: 'ok' }))
  const readyDoc: OperationDoc = {
    operationId: 'ready',
    tags: ['Operations'],
    summary: 'Readiness (the store answers)',
    responses: { 200: { description: 'Ready.' }, 503: 'The store is unavailable.' },
  }
  app.get('/readyz', { schema: { response: { 200: HealthSchema } }, config: { openapi: readyDoc } }, async () => {
    if (context.lifecycle.draining)
      throw new AppError('shutting-down', 'The server is shutting down; send requests to another instance.', {
        headers: { 'retry-after': '5' },
      })
    try {
      await context.store.ping()
    } catch (error) {
      throw (
        fromDatabaseError(error) ??
        new AppError('store-unavailable', 'The ticket store does not answer.', { headers: { 'retry-after': '5' } })
      )
    }
    return { status: 'ready', store: context.store.kind }
  })
}
