// Where the owner of a data directory listens for remote sessions. Unix socket paths are
// limited to about 107 bytes, so a long data directory gets its socket in the temporary
// directory instead, inside a directory only this user can enter: in a shared /tmp anyone
// could otherwise connect to it, or create the name first.
import { createHash } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function socketPathFor(dataDir: string): string {
  const local = join(dataDir, 'tickets.sock')
  if (Buffer.byteLength(local) < 100) return local
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 16)
  return join(privateDirectory(join(tmpdir(), `tickets-${process.getuid?.() ?? 'u'}-${hash}`)), 'tickets.sock')
}

/** `path` as a directory that only this user can enter; refuses one that someone else made. */
export function privateDirectory(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 })
  const stat = lstatSync(path)
  const uid = process.getuid?.()
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid))
    throw new Error(`${path} is not a directory of this user; remove it or use a shorter TICKETS_DATA_DIR`)
  if ((stat.mode & 0o077) !== 0) chmodSync(path, 0o700)
  return path
}
