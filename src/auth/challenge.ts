// RFC 6750 §3 WWW-Authenticate challenges for the bearer-protected API.
export const REALM = 'tickets'

export function bearerChallenge(error?: 'invalid_token' | 'insufficient_scope', description?: string, scope?: string): string {
  const parts = [`realm="${REALM}"`]
  if (error) parts.push(`error="${error}"`)
  if (description) parts.push(`error_description="${description.replace(/["\\]/g, '')}"`)
  if (scope) parts.push(`scope="${scope}"`)
  return `Bearer ${parts.join(', ')}`
}
