// How large a request body may be, per kind of route. Read by the parsers that enforce them
// and by the problem handler that names the limit in its 413.

/** Ticket writes: a patch is small, but descriptive members may grow; 1 MiB is generous. */
export const BODY_LIMIT_BYTES = 1024 * 1024

/** A token request is a few short fields; 8 KiB leaves room for long ids and scopes. */
export const FORM_BODY_LIMIT_BYTES = 8 * 1024

/** A limit as people write it: "1 MiB", "8 KiB". */
export const describeSize = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`)
