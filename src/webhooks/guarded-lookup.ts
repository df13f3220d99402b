// The DNS lookup every delivery connection makes (http.request's `lookup` option): the host is
// resolved here, and the connection is refused unless every address it resolves to is allowed.
// Checking the very addresses the socket will connect to, at connect time, is what defeats DNS
// rebinding (a name that resolved to a public address when the endpoint was created and to
// 127.0.0.1 now). Hosts that are IP literals make no lookup: the sender checks those itself.
import type { LookupAddress, LookupOptions } from 'node:dns'
import { addressRefusal } from './address-policy.js'
import type { ResolveHost } from './url-policy.js'

/** A connection refused by the address policy; its message says which address and why. */
export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError'
  readonly code = 'EWEBHOOKADDRESS'
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

export function guardedLookup(resolve: ResolveHost) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family
        const usable = addresses.filter((entry) => !family || entry.family === family)
        if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} has no usable address`), { code: 'ENOTFOUND' }), [])
        // All or nothing: a name that also resolves to a private address is refused outright,
        // rather than hoping the connection picks the public one.
        for (const entry of usable) {
          const refusal = addressRefusal(entry.address)
          if (refusal !== undefined)
            return callback(new RefusedAddressError(`refused: ${hostname} resolves to ${entry.address}, ${refusal}`), [])
        }
        if (options.all) callback(null, usable)
        else callback(null, usable[0]!.address, usable[0]!.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    )
  }
}
