// The body of the liveness and readiness probes (/healthz, /readyz).
import Type, { type Static } from 'typebox'

export const HealthSchema = Type.Object({ status: Type.String(), store: Type.Optional(Type.String()) }, { additionalProperties: false })
export type Health = Static<typeof HealthSchema>
