// The service's Prometheus metrics, on a registry of its own (never prom-client's global one,
// so several apps in one process, as in the tests, never collide). Served by metrics-server.ts
// on a separate listener.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { PoolStats } from '../store/drivers/pool.js'

export class Metrics {
  readonly registry = new Registry()

  readonly requests = new Counter({
    name: 'tickets_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  })

  readonly requestDuration = new Histogram({
    name: 'tickets_http_request_duration_seconds',
    help: 'Time from request received to response sent, by route pattern and method.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })

  readonly problems = new Counter({
    name: 'tickets_problems_total',
    help: 'Problem responses by code (rate-limited, query-timeout, store-unavailable, ...).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  })

  readonly rateLimitRefusals = new Counter({
    name: 'tickets_rate_limit_refusals_total',
    help: 'Requests refused with 429 by a rate limit, by policy (client, token-client, token-address).',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  })

  readonly tokensIssued = new Counter({
    name: 'tickets_tokens_issued_total',
    help: 'Access tokens issued.',
    registers: [this.registry],
  })

  readonly tokenRefusals = new Counter({
    name: 'tickets_token_refusals_total',
    help: 'Token requests refused, by problem code (invalid-client, rate-limited, ...).',
    labelNames: ['error'] as const,
    registers: [this.registry],
  })

  constructor(options: { poolStats?: () => PoolStats; defaultMetrics?: boolean } = {}) {
    // Process CPU, memory, event-loop lag, GC, handles: what an operator checks first.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'tickets_' })
    const poolStats = options.poolStats
    if (poolStats) {
      new Gauge({
        name: 'tickets_db_pool_connections',
        help: 'Database connections by state (idle or busy).',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const stats = poolStats()
          this.set({ state: 'idle' }, stats.idle)
          this.set({ state: 'busy' }, stats.total - stats.idle)
        },
      })
      new Gauge({
        name: 'tickets_db_pool_waiting',
        help: 'Queries waiting for a database connection.',
        registers: [this.registry],
        collect() {
          this.set(poolStats().waiting)
        },
      })
    }
  }
}
