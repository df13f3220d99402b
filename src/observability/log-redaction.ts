// What request logs may say about a request. Query values are replaced by `*`: filters carry
// VINs and customer ids, and a careless client may put `client_secret` in the token URL. The
// names stay, which is what debugging a 400 needs.
import type { FastifyRequest } from 'fastify'

export function redactQuery(url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const names = url
    .slice(q + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=')
      return eq === -1 ? pair : `${pair.slice(0, eq)}=*`
    })
  return `${url.slice(0, q)}?${names.join('&')}`
}

export const requestSerializers = {
  req(request: FastifyRequest) {
    return {
      method: request.method,
      url: redactQuery(request.url),
      host: request.host,
      remoteAddress: request.ip,
    }
  },
}
