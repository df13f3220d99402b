// The plain-service yardstick under load: bench/plain-service.ts started as its own process on
// the bench database with the service's pool size, the scenario's operations replayed against it
// by the same autocannon measurement as the service (bench/http-load.ts), then stopped. It runs
// for one measurement only, so that its idle connections never sit in another one's window.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT, serviceEnv, type Build } from './cli.js'
import { measureHttp, preflight, type HttpLoad, type Measurement } from './http-load.js'
import { PROFILE_DIR, type RunningServer } from './server.js'

/** What bench/plain-service.ts answers; every other scenario has no plain figure. */
export const PLAIN_SCENARIOS = ['get-by-id', 'patch-processed', 'list-customer']

const STARTUP_MS = 30_000

/** The pool size the measured build's server runs with: its own config, read with the server's environment. */
export async function servicePoolSize(build: Build, env: Record<string, string>): Promise<number> {
  const config = join(dirname(dirname(build.entry)), 'config.js')
  const { loadConfig } = (await import(pathToFileURL(config).href)) as { loadConfig(env: NodeJS.ProcessEnv): { poolSize?: number } }
  const { poolSize } = loadConfig(serviceEnv(env))
  if (!poolSize) throw new Error(`${config} has no poolSize: cannot size the plain service's pool like the server's`)
  return poolSize
}

/** With `cpuProf`, under node --cpu-prof like the server: its profile lands beside the server's, named PLAIN.*. */
export function startPlainService(databaseUrl: string, poolSize: number, cpuProf = false): Promise<RunningServer> {
  const profile = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=PLAIN.${Date.now()}.cpuprofile`] : []
  // --import tsx compiles the file in this process (the tsx CLI would add a parent process).
  const child = spawn(
    process.execPath,
    [...profile, '--import', 'tsx', join(ROOT, 'bench/plain-service.ts'), databaseUrl, String(poolSize)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the plain service did not start in ${STARTUP_MS / 1000} s: ${stderr}`)), STARTUP_MS)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`the plain service exited with ${code} before listening: ${stderr.trim()}`))
    })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const match = /listening on (http:\/\/[^ ]+:(\d+))/.exec(stdout)
      if (!match) return
      clearTimeout(timer)
      child.stdout.resume()
      resolve({
        pid: child.pid!,
        baseUrl: match[1]!,
        port: Number(match[2]),
        stderr: () => stderr,
        async stop() {
          if (child.exitCode === null) child.kill('SIGINT')
          const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000)
          await exited
          clearTimeout(timeout)
        },
      })
    })
  })
}

export interface PlainLoad extends Omit<HttpLoad, 'server' | 'identify'> {
  databaseUrl: string
  poolSize: number
  cpuProf?: boolean
}

/** The provider travels as a plain header: the plain service checks no token. */
const byProviderHeader = (providerId: string) => ({ 'x-provider-id': providerId })

export async function measurePlain(load: PlainLoad): Promise<Measurement> {
  const server = await startPlainService(load.databaseUrl, load.poolSize, load.cpuProf)
  try {
    const plain: HttpLoad = { ...load, server, identify: byProviderHeader }
    await preflight(plain)
    return await measureHttp(plain)
  } finally {
    await server.stop()
    const stderr = server.stderr().trim()
    if (stderr) process.stderr.write(`bench: plain service stderr:\n${stderr.slice(-2000)}\n`)
  }
}
