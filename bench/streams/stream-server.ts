// What the live-stream benches share: a fresh PostgreSQL database, the server compiled from
// src/ (bench/cli.ts) running as a child process on it, two partnered tickets:manage clients
// (as `tickets simulate` makes them, as many per provider as the rate asked needs under the
// server's per-client rate limit), their tokens, a webhooks:manage client of the first
// provider, and the server's resident memory.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { createApiClient } from '../../src/auth/clients.js'
import { clientsPerProvider, ensureSimulationClients } from '../../src/cli/simulate.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/store/open-store.js'
import { cliEntry, ensureBuilt, ROOT, runCliOrThrow, serviceEnv } from '../cli.js'

export const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface StreamServer {
  baseUrl: string
  /** The server's database (a fresh one, dropped by stop()). */
  databaseUrl: string
  pid: number
  credentials: Array<{ clientId: string; clientSecret: string }>
  providers: string[]
  /** The server's resident set, in MB (VmRSS). */
  rssMb(): number
  token(index: number): Promise<string>
  /** A token of the first provider with the scope webhooks:manage. */
  webhookToken(): Promise<string>
  stop(): Promise<void>
}

export interface StreamServerOptions {
  /** Server settings (environment) beyond the bench's. */
  settings?: Record<string, string>
  /** The simulation rate the clients must sustain (ops/s): sizes the clients per provider. */
  rate?: number
}

export async function startStreamServer(options: StreamServerOptions = {}): Promise<StreamServer> {
  const settings = options.settings ?? {}
  ensureBuilt((line) => process.stderr.write(`${line}\n`))
  const name = `tickets_bench_stream_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(DATABASE_URL)
  url.pathname = `/${name}`
  const env = serviceEnv({ TICKETS_DATABASE_URL: url.toString(), ...settings })
  await runCliOrThrow(['migrate'], env)
  const store = await openStore({ databaseUrl: url.toString(), dataDir: '', poolSize: 2 })
  const config = { ...loadConfig(env), databaseUrl: url.toString() }
  const clients = await ensureSimulationClients(store, config, clientsPerProvider(options.rate ?? 1, config.rateLimit))
  const manager = await createApiClient(store, { providerId: clients.providers[0]!, name: 'bench webhooks', scopes: ['webhooks:manage'] })
  await store.close()

  const child = spawn(process.execPath, [cliEntry(), 'serve', '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let stdout = ''
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)))
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const match = /listening on (http:\/\/\S+)/.exec(stdout)
      if (match) resolve(match[1]!)
    })
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const tokenOf = async ({ clientId, clientSecret }: { clientId: string; clientSecret: string }) => {
    const response = await fetch(`${baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    })
    if (!response.ok) throw new Error(`token: ${response.status} ${await response.text()}`)
    return ((await response.json()) as { access_token: string }).access_token
  }
  return {
    baseUrl,
    databaseUrl: url.toString(),
    pid: child.pid!,
    credentials: clients.credentials,
    providers: clients.providers,
    rssMb: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024,
    token: (index) => tokenOf(clients.credentials[index]!),
    webhookToken: () => tokenOf({ clientId: manager.client.clientId, clientSecret: manager.secret }),
    async stop() {
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await exited
      clearTimeout(timer)
      const cleanup = new pg.Client({ connectionString: DATABASE_URL })
      await cleanup.connect()
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await cleanup.end()
    },
  }
}

/** p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN
}
