// The server under test, as a child process (`tickets serve --port 0`), and one access token
// per provider from API clients made with `tickets clients create` (cached in .bench/clients).
// Where the build has the lifecycle, the clients also get tickets:manage (create and the
// transitions need it); a cached client without it is replaced.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { cliEntry, ROOT, runCliOrThrow, serviceEnv } from './cli.js'
import { BENCH_DIR, clientsFile, type BenchTarget } from './load.js'

export const PROFILE_DIR = join(BENCH_DIR, 'profiles')

export interface RunningServer {
  pid: number
  baseUrl: string
  port: number
  stderr(): string
  /** SIGINT, then waits for a clean exit (which is when --cpu-prof writes its profile). */
  stop(): Promise<void>
}

export function startServer(target: BenchTarget, options: { cpuProf: boolean }): Promise<RunningServer> {
  const nodeArgs = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []
  if (options.cpuProf) mkdirSync(PROFILE_DIR, { recursive: true })
  const child = spawn(process.execPath, [...nodeArgs, cliEntry(), 'serve', '--port', '0'], {
    cwd: ROOT,
    env: serviceEnv(target.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 120 s: ${stderr}`)), 120_000)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before listening: ${stderr.trim()}`))
    })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const match = /listening on (http:\/\/[^ ]+:(\d+))/.exec(stdout)
      if (!match) return
      clearTimeout(timer)
      child.stdout.removeAllListeners('data')
      child.stdout.resume()
      resolve({
        pid: child.pid!,
        baseUrl: match[1]!,
        port: Number(match[2]),
        stderr: () => stderr,
        async stop() {
          if (child.exitCode === null) child.kill('SIGINT')
          const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000)
          await exited
          clearTimeout(timeout)
        },
      })
    })
  })
}

interface Credentials {
  client_id: string
  client_secret: string
  provider_id: string
}

function readCredentials(path: string): Credentials[] {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Credentials[]
  } catch {
    return []
  }
}

async function requestToken(server: RunningServer, credentials: Credentials): Promise<{ token: string; scope: string } | undefined> {
  const response = await fetch(`${server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${credentials.client_id}:${credentials.client_secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  })
  if (response.status === 401 || response.status === 400) return undefined
  if (!response.ok) throw new Error(`token request failed: ${response.status} ${await response.text()}`)
  const body = (await response.json()) as { access_token: string; scope?: string }
  return { token: body.access_token, scope: body.scope ?? '' }
}

/** tickets:manage is what the lifecycle's writes need; builds before it know only read and write. */
export const MANAGE_SCOPES = ['tickets:read', 'tickets:write', 'tickets:manage']

/**
 * provider id → bearer token, creating (and caching) one bench client per provider as needed;
 * with `manage`, clients with tickets:manage (the build must know that scope).
 */
export async function providerTokens(server: RunningServer, target: BenchTarget, manage = false): Promise<Map<string, string>> {
  const enough = (granted: { scope: string } | undefined) => granted && (!manage || granted.scope.split(' ').includes('tickets:manage'))
  const path = clientsFile(target.name)
  const saved = readCredentials(path)
  const tokens = new Map<string, string>()
  const kept: Credentials[] = []
  for (const provider of target.meta.providers) {
    let credentials = saved.find((c) => c.provider_id === provider.id)
    let granted = credentials && (await requestToken(server, credentials))
    if (!enough(granted)) {
      const scopes = manage ? MANAGE_SCOPES.flatMap((scope) => ['--scope', scope]) : []
      const created = await runCliOrThrow(
        ['clients', 'create', '--provider', provider.id, '--name', 'bench', ...scopes, '--json'],
        serviceEnv(target.env),
      )
      credentials = JSON.parse(created.stdout) as Credentials
      granted = await requestToken(server, credentials)
      if (!enough(granted)) throw new Error(`a freshly created client for ${provider.id} got no token (or not the scopes asked)`)
    }
    kept.push(credentials!)
    tokens.set(provider.id, granted!.token)
  }
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(kept, null, 2), { mode: 0o600 })
  return tokens
}
