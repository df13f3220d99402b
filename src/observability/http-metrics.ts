// Counting every answer for /metrics: by route pattern (never the raw URL, so label values
// stay few), method and status, its latency, its problem code, and the token endpoint's
// issuances and refusals.
import type { FastifyInstance } from 'fastify'
import { TOKEN_PATH } from '../http/routes/oauth.js'
import type { Metrics } from './metrics.js'

export function countResponses(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const status = reply.statusCode
    metrics.requests.inc({ route, method: request.method, status })
    metrics.requestDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000)
    if (request.problemCode) metrics.problems.inc({ code: request.problemCode })
    if (route === TOKEN_PATH) {
      if (status === 200) metrics.tokensIssued.inc()
      else metrics.tokenRefusals.inc({ error: request.problemCode ?? String(status) })
    }
  })
}
