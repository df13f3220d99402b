// How a database error crosses a boundary that cannot carry an Error object whole: the Unix
// socket of remote sessions (JSON) and the database thread's MessagePort (structured clone keeps
// only an Error's message). One list of fields, so both carry exactly what the error mapping
// (src/errors/db-errors.ts) reads: the SQLSTATE, and the detail and constraint it reports.
export interface SerializedError {
  message: string
  code?: string
  detail?: string
  constraint?: string
}

const ERROR_FIELDS = ['code', 'detail', 'constraint'] as const

export function serializeError(error: unknown): SerializedError {
  const e = error as Error & Partial<Record<(typeof ERROR_FIELDS)[number], string>>
  const serialized: SerializedError = { message: e.message }
  for (const field of ERROR_FIELDS) if (typeof e[field] === 'string') serialized[field] = e[field]
  return serialized
}

/** The error again, as an Error carrying the same fields (what the caller's stack trace shows is its own). */
export function reviveError(serialized: SerializedError): Error {
  return Object.assign(new Error(serialized.message), serialized)
}
