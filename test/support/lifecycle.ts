// Driving the lifecycle through the API as the platform's own systems do (tickets:manage),
// for the lifecycle, outsourcing and property tests.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Ticket } from '../../src/contract/ticket.js'
import { bearer, tokenFor } from './api.js'
import type { AppStore } from '../../src/http/app-store.js'

export const TICKETS = '/v2/tickets/tickets'
export const VIN = 'WVWZZZ1JZXW000001'
export const MODEL = 4711

export interface Platform {
  token: string
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  get(path: string): Promise<LightMyRequestResponse>
  patch(id: string, body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  /** Creates a ticket and returns it (throws unless 201). */
  create(body?: Record<string, unknown>): Promise<Ticket>
  /** Runs an action and returns the response. */
  act(id: string, action: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  ticket(id: string): Promise<Ticket>
  events(
    id: string,
  ): Promise<Array<{ id: string; type: string; payload: { ticket: { state: string } }; actor: unknown; changes: Record<string, unknown> }>>
}

/** A client of `providerId` holding every scope, and helpers that use its token. */
export async function platformFor(app: FastifyInstance, store: AppStore, providerId: string, customerId: string): Promise<Platform> {
  const token = await tokenFor(app, store, providerId, ['tickets:read', 'tickets:write', 'tickets:manage'])
  const json = (body: unknown) => (body === undefined ? {} : { 'content-type': 'application/json' })
  const platform: Platform = {
    token,
    post: (path, body, headers = {}) =>
      app.inject({
        method: 'POST',
        url: path,
        headers: { ...bearer(token), ...json(body), ...headers },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      }),
    get: (path) => app.inject({ method: 'GET', url: path, headers: bearer(token) }),
    patch: (id, body, headers = {}) =>
      app.inject({
        method: 'PATCH',
        url: `${TICKETS}/${id}`,
        headers: { ...bearer(token), 'content-type': 'application/json', ...headers },
        payload: JSON.stringify(body),
      }),
    async create(body = {}) {
      const response = await platform.post(TICKETS, { customer_id: customerId, vehicle_model_id: MODEL, vin: VIN, ...body })
      if (response.statusCode !== 201) throw new Error(`create failed: ${response.statusCode} ${response.body}`)
      return response.json()
    },
    act: (id, action, body, headers) => platform.post(`${TICKETS}/${id}/${action}`, body, headers),
    async ticket(id) {
      const response = await platform.get(`${TICKETS}/${id}`)
      if (response.statusCode !== 200) throw new Error(`get failed: ${response.statusCode} ${response.body}`)
      return response.json()
    },
    async events(id) {
      const response = await platform.get(`${TICKETS}/${id}/events?limit=1000`)
      if (response.statusCode !== 200) throw new Error(`events failed: ${response.statusCode} ${response.body}`)
      return response.json().result
    },
  }
  return platform
}
