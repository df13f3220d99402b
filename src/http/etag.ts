// Entity tags for tickets: a hash of the representation, so any change to any field (a PATCH
// or an import) changes it. Conditional headers are compared as RFC 9110 §13.1 says.
import { hash } from 'node:crypto'

/**
 * The tag of a ticket's stored document: the body GET and PATCH send, and If-Match is held against.
 * crypto.hash is the one-shot form of createHash().update().digest(), same bytes, without the
 * Hash object and its stream machinery that every GET by id used to build and drop.
 */
export function documentEtag(json: string): string {
  return `"${hash('sha256', json, 'base64url').slice(0, 32)}"`
}

/** `*`, or the listed entity tags with their weakness markers removed. */
function parseTags(header: string): '*' | string[] {
  if (header.trim() === '*') return '*'
  return header
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean)
    .map((tag) => tag.replace(/^W\//, ''))
}

/** If-None-Match uses weak comparison: W/"x" matches "x". */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true
  const tags = parseTags(header)
  return tags !== '*' && !tags.includes(etag)
}

/** If-Match uses strong comparison: a weak tag never matches. */
export function ifMatchHolds(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true
  if (header.trim() === '*') return true
  return header
    .split(',')
    .map((tag) => tag.trim())
    .includes(etag)
}
