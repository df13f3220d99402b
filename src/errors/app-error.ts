// The one error type thrown on purpose. Anything else reaching the problem handler is a bug.
import type { ProblemError } from '../contract/problem.js'
import { ERROR_CATALOG, type ErrorSlug } from './catalog.js'

export interface AppErrorExtras {
  errors?: ProblemError[]
  /** Response headers the problem needs, e.g. WWW-Authenticate, Allow, Retry-After. */
  headers?: Record<string, string>
  /** Extra members for the problem body, e.g. the RFC 6749 `error` code on the token endpoint. */
  members?: Record<string, unknown>
}

export class AppError extends Error {
  readonly status: number
  readonly title: string

  constructor(
    readonly slug: ErrorSlug,
    readonly detail: string,
    readonly extras: AppErrorExtras = {},
  ) {
    super(detail)
    this.name = 'AppError'
    this.status = ERROR_CATALOG[slug].status
    this.title = ERROR_CATALOG[slug].title
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError
}
