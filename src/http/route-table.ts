// Remembers every registered route so that a request for a known path with an unsupported
// method can be answered 405 with an Allow header, rather than a misleading 404.
import type { FastifyInstance } from 'fastify'

interface RoutePattern {
  pattern: RegExp
  method: string
}

const tables = new WeakMap<FastifyInstance, RoutePattern[]>()

function toPattern(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
  return new RegExp(`^${escaped}$`)
}

export function trackRoutes(app: FastifyInstance): void {
  const table: RoutePattern[] = []
  tables.set(app, table)
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) table.push({ pattern: toPattern(route.url), method })
  })
}

export function allowedMethods(app: FastifyInstance, path: string): string[] {
  const table = tables.get(app) ?? []
  const methods = new Set(table.filter((route) => route.pattern.test(path)).map((route) => route.method))
  return [...methods].sort()
}
