// POST /oauth2/token: the client-credentials grant, client authenticated by form fields or
// HTTP Basic (RFC 6749 §2.3.1), never both. Responses must not be cached (§5.1).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { issueToken, oauthError, type TokenRequest } from '../../auth/client-credentials.js'
import { TokenRequestSchema, TokenResponseSchema } from '../../contract/oauth.js'
import type { AppContext } from '../context.js'
import type { FormBody } from '../form-body.js'
import type { OperationDoc } from '../openapi/operation-doc.js'

export const TOKEN_PATH = '/oauth2/token'

function single(form: FormBody, name: string): string | undefined {
  const values = form.get(name)
  if (values && values.length > 1) throw oauthError('invalid_request', `${name} must be sent only once.`, name)
  if (values?.[0]?.includes('\u0000')) throw oauthError('invalid_request', `${name} must not contain the NUL character.`, name)
  return values?.[0]
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header && /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header)
  if (!header) return undefined
  if (!match) throw oauthError('invalid_client', 'The Authorization header must be "Basic <base64(client_id:client_secret)>".')
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) throw oauthError('invalid_client', 'HTTP Basic credentials must be client_id:client_secret.')
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '))
    } catch {
      return part
    }
  }
  return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) }
}

function tokenRequestOf(request: FastifyRequest): TokenRequest {
  const form = (request.body as FormBody | undefined) ?? new Map<string, string[]>()
  const basic = basicCredentials(request.headers.authorization)
  const clientId = single(form, 'client_id')
  const clientSecret = single(form, 'client_secret')
  if (basic && (clientId !== undefined || clientSecret !== undefined))
    throw oauthError('invalid_request', 'Send the client credentials either in the body or with HTTP Basic, not both.')
  return {
    grantType: single(form, 'grant_type'),
    clientId: basic?.id ?? clientId,
    clientSecret: basic?.secret ?? clientSecret,
    scope: single(form, 'scope'),
  }
}

const issueTokenDoc: OperationDoc = {
  operationId: 'issueToken',
  tags: ['Authentication'],
  summary: 'Issue an access token (client credentials)',
  // Client credentials in the form body, or as HTTP Basic.
  security: [{}, { ClientBasic: [] }],
  body: TokenRequestSchema,
  responses: {
    200: { description: 'A bearer token.' },
    400: 'invalid_request, unsupported_grant_type or invalid_scope (in `error`).',
    401: 'invalid_client (in `error`).',
    default: 'An error occurred.',
  },
}

export function registerOAuthRoutes(app: FastifyInstance, context: AppContext): void {
  app.post(
    TOKEN_PATH,
    { config: { oauthErrors: true, openapi: issueTokenDoc }, schema: { response: { 200: TokenResponseSchema } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
      if (request.body === undefined)
        throw oauthError('invalid_request', 'Send the token request as an application/x-www-form-urlencoded body.')
      const tokenRequest = tokenRequestOf(request)
      // Counted per claimed id before the secret is checked: guessing one client's secret from
      // many addresses meets this limit.
      if (tokenRequest.clientId) await context.rateLimits.admit('token-client', tokenRequest.clientId, request, reply)
      // Audit lines: who obtained a token, and who was refused one and why.
      try {
        const issued = await issueToken(tokenRequest, context.store, context.tokens)
        request.log.info({ audit: 'token.issued', clientId: tokenRequest.clientId, scope: issued.scope }, 'token issued')
        return issued
      } catch (error) {
        const code = (error as { slug?: string }).slug ?? 'internal'
        request.log.info({ audit: 'token.refused', clientId: tokenRequest.clientId, code }, 'token refused')
        throw error
      }
    },
  )
}
