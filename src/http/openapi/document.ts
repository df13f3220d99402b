// The OpenAPI 3.1 document of a set of routes: each documented route contributes its
// operation; the info, components and security schemes are the API's.
import { type SCOPES } from '../../contract/oauth.js'
import { ERROR_CATALOG } from '../../errors/catalog.js'
import { describeOperation } from './operation.js'
import type { RecordedRoute } from './route-recorder.js'
import { componentSchemas } from './schemas.js'

type Json = Record<string, unknown>

/** Paths in registration order; a path's own parameters first, then its operations. */
function pathsOf(routes: readonly RecordedRoute[]): Json {
  const paths: Record<string, Json> = {}
  for (const route of routes) {
    const described = describeOperation(route)
    if (!described) continue
    const { path, method, pathParameters, operation } = described
    const item = (paths[path] ??= pathParameters.length > 0 ? { parameters: pathParameters } : {})
    if (item[method]) throw new Error(`${method.toUpperCase()} ${path} is documented twice`)
    item[method] = operation
  }
  return paths
}

export function openApiDocument(routes: readonly RecordedRoute[], version = '0.1.0'): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tickets API',
      version,
      description:
        'Partner Tickets API: list, read and mark the tickets of your provider. Authenticate with the OAuth 2.0 ' +
        'client-credentials grant at /oauth2/token and send the token as a Bearer token. Every error is an RFC 9457 ' +
        `problem document whose \`code\` is one of: ${Object.keys(ERROR_CATALOG).join(', ')}.`,
    },
    paths: pathsOf(routes),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        OAuth2: {
          type: 'oauth2',
          flows: {
            clientCredentials: {
              tokenUrl: '/oauth2/token',
              scopes: {
                'tickets:read': 'Read tickets.',
                'tickets:write': 'Mark tickets as processed.',
                'tickets:manage': 'Create tickets, move them through their lifecycle, correct their details.',
                'webhooks:manage': 'Manage your provider’s webhook endpoints: create, change, test, recover, read their deliveries.',
              } satisfies Record<(typeof SCOPES)[number], string>,
            },
          },
        },
        ClientBasic: { type: 'http', scheme: 'basic', description: 'client_id and client_secret as HTTP Basic credentials.' },
      },
    },
  }
}
