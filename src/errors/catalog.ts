// Every problem this service answers with, by permanent slug. The slug travels as the
// `code` extension member; `type` stays "about:blank" and `title` is the HTTP reason
// phrase, as the partner API does. docs/errors.md has one section per slug (a test checks).
export const ERROR_CATALOG = {
  'invalid-query': { status: 400, title: 'Bad Request' },
  'invalid-filter': { status: 400, title: 'Bad Request' },
  'invalid-sort': { status: 400, title: 'Bad Request' },
  'invalid-pagination': { status: 400, title: 'Bad Request' },
  'invalid-path': { status: 400, title: 'Bad Request' },
  'invalid-body': { status: 400, title: 'Bad Request' },
  'invalid-value': { status: 400, title: 'Bad Request' },
  'invalid-request': { status: 400, title: 'Bad Request' },
  'unsupported-grant-type': { status: 400, title: 'Bad Request' },
  'invalid-scope': { status: 400, title: 'Bad Request' },
  'invalid-client': { status: 401, title: 'Unauthorized' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  'invalid-token': { status: 401, title: 'Unauthorized' },
  'insufficient-scope': { status: 403, title: 'Forbidden' },
  'ticket-not-found': { status: 404, title: 'Not Found' },
  'not-found': { status: 404, title: 'Not Found' },
  'method-not-allowed': { status: 405, title: 'Method Not Allowed' },
  'precondition-failed': { status: 412, title: 'Precondition Failed' },
  'payload-too-large': { status: 413, title: 'Content Too Large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported Media Type' },
  'rate-limited': { status: 429, title: 'Too Many Requests' },
  internal: { status: 500, title: 'Internal Server Error' },
  'store-unavailable': { status: 503, title: 'Service Unavailable' },
  'query-timeout': { status: 503, title: 'Service Unavailable' },
  'server-busy': { status: 503, title: 'Service Unavailable' },
  'shutting-down': { status: 503, title: 'Service Unavailable' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorSlug = keyof typeof ERROR_CATALOG
