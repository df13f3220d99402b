// A PostgreSQL server of the test's own (initdb in a temporary directory, on a free loopback
// port), for fault tests that stop and start the server: the shared one on 5432 serves every
// other test and must never go down. PostgreSQL refuses to run as root, so the server runs as
// the `postgres` user when the tests run as root.
import { execFile } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface PrivatePostgres {
  url: string
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  start(): Promise<void>
  dispose(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = mkdtempSync(join(tmpdir(), 'tickets-pg-'))
  const data = join(root, 'data')
  const asRoot = userInfo().uid === 0
  const postgresUser = asRoot ? await run('id', ['-u', 'postgres']).then(({ stdout }) => Number(stdout.trim())) : undefined
  if (postgresUser !== undefined) chownSync(root, postgresUser, -1)
  const as = (command: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args))
  const port = await freePort()
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c max_connections=30 -c shared_buffers=16MB`
  const start = async () => {
    await as('pg_ctl', ['-D', data, '-o', options, '-w', '-t', '60', '-l', join(root, 'log'), 'start'])
  }
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await as('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop'])
  }
  await start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async dispose() {
      await stop('immediate').catch(() => undefined)
      rmSync(root, { recursive: true, force: true })
    },
  }
}
