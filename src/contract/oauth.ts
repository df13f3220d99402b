// OAuth 2.0 client-credentials token endpoint shapes (RFC 6749 §4.4, §5.1).
import Type, { type Static } from 'typebox'

export const SCOPES = ['tickets:read', 'tickets:write', 'tickets:manage', 'webhooks:manage'] as const
export type Scope = (typeof SCOPES)[number]
/** What a partner's client gets unless asked otherwise; tickets:manage is for the platform's own systems. */
export const PARTNER_SCOPES = ['tickets:read', 'tickets:write'] as const satisfies readonly Scope[]

export const TokenRequestSchema = Type.Object(
  {
    grant_type: Type.String({ description: 'Must be client_credentials.' }),
    client_id: Type.Optional(Type.String({ description: 'The client identifier, unless sent with HTTP Basic.' })),
    client_secret: Type.Optional(Type.String({ description: 'The client secret, unless sent with HTTP Basic.' })),
    scope: Type.Optional(
      Type.String({ description: `Space-separated scopes to request (${SCOPES.join(', ')}); default: all the client has.` }),
    ),
  },
  { title: 'TokenRequest' },
)

export const TokenResponseSchema = Type.Object(
  {
    access_token: Type.String({ description: 'A signed JWT to send as `Authorization: Bearer <token>`.' }),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the token expires.' }),
    scope: Type.String({ description: 'The granted scopes, space-separated.' }),
  },
  { additionalProperties: false, title: 'TokenResponse' },
)
export type TokenResponse = Static<typeof TokenResponseSchema>
