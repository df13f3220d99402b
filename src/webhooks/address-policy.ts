// Which addresses a webhook may be delivered to: public unicast only, unless private targets are
// allowed (TICKETS_WEBHOOKS_ALLOW_PRIVATE). Anything else could make the server a proxy into its
// own network (server-side request forgery): loopback services, the cloud metadata endpoint at
// 169.254.169.254, private and unique-local networks, CGNAT, multicast and reserved ranges.
// ipaddr.js classifies (its ranges follow the IANA special-purpose registries); an IPv4 address
// mapped into IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

const DESCRIBED: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (cloud metadata services live there)',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT (shared) address',
  private: 'a private address',
  uniqueLocal: 'a unique-local (private) address',
  reserved: 'a reserved address',
}

/**
 * What kind of address makes it refused as a webhook target ("a loopback address"), or
 * undefined when it is public unicast.
 */
export function addressRefusal(address: string): string | undefined {
  // A zone index (fe80::1%eth0) only ever qualifies a link-local address.
  if (!ipaddr.isValid(address)) return 'not an IP address'
  const range = ipaddr.process(address).range()
  if (range === 'unicast') return undefined
  return DESCRIBED[range] ?? `a special-purpose address (${range})`
}

/**
 * The IP address a URL hostname is, if it is one (IPv6 literals come bracketed). Decided as
 * node:net decides it, because for exactly these hosts a connection makes no DNS lookup.
 */
export function ipLiteralOf(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return isIP(bare) !== 0 ? bare : undefined
}
