// The hostile-load kit shared by scripts/attack.ts, scripts/soak.ts and
// test/attack/hostile-load.test.ts: the server as a child process (so attacker and server do
// not share an event loop, as in production), a well-behaved partner's poller, the attacks
// (malformed and oversized token requests, made-up client ids, slowloris sockets), and /proc
// sampling of the server. Clients are node:http / node:net / fetch only, over loopback.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { cpuMs } from '../bench/procstat.js'
import { percentile } from '../bench/stats.js'

export { percentile }

// ---------------------------------------------------------------------------------------------
// The server

export interface ServerChild {
  pid: number
  host: string
  port: number
  baseUrl: string
  /** The server's log (stdout goes to a file: reading a pipe would cost the attacker CPU). */
  log(): string
  stderr(): string
  /** Set once the process has exited. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

/** The caller's environment without any TICKETS_*, PORT or HOST (the config rejects strays), plus `settings`. */
export function serverEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('TICKETS_') && key !== 'PORT' && key !== 'HOST') env[key] = value
  return { ...env, TICKETS_DEMO: 'never', ...settings }
}

/** `node <entry> serve --port 0` on 127.0.0.1; resolves once it prints the URL it listens on. */
export async function startServerChild(entry: string, env: NodeJS.ProcessEnv, logFile: string, timeoutMs = 120_000): Promise<ServerChild> {
  const out = openSync(logFile, 'w')
  const child: ChildProcess = spawn(process.execPath, [entry, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env,
    stdio: ['ignore', out, 'pipe'],
  })
  closeSync(out)
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal }
      resolve()
    }),
  )
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8')
    } catch {
      return ''
    }
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(log().slice(0, 4096))
    if (match) {
      return {
        pid: child.pid!,
        host: '127.0.0.1',
        port: Number(match[2]),
        baseUrl: match[1]!,
        log,
        stderr: () => stderr,
        exit: () => exit,
        async stop(graceMs = 30_000) {
          if (!exit) child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
          await exited
          clearTimeout(timer)
        },
      }
    }
    if (exit) throw new Error(`server exited (${exit.code ?? exit.signal}) before listening: ${stderr.trim()}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not listen within ${timeoutMs} ms: ${stderr.trim()}`)
    }
    await sleep(100)
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A client-credentials token (form body), or the status that refused it. */
export async function fetchToken(baseUrl: string, clientId: string, clientSecret: string): Promise<{ status: number; token?: string }> {
  const response = await fetch(`${baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await response.text()
  if (response.status !== 200) return { status: response.status }
  return { status: 200, token: (JSON.parse(text) as { access_token: string }).access_token }
}

// ---------------------------------------------------------------------------------------------
// The well-behaved partner

export interface Sample {
  /** performance.now() when the request started. */
  at: number
  ms: number
  /** 0 when no response arrived (connection error or the 10 s timeout). */
  status: number
  error?: string
}

export interface Poller {
  samples: Sample[]
  /** Stops after the request in flight, if any. */
  stop(): Promise<Sample[]>
}

/**
 * One request every `intervalMs`, one at a time (a poll that runs late delays the next, as a
 * partner's loop does, instead of piling up). fetch keeps its connection alive between polls.
 */
export function poll(url: string, intervalMs: number, headers: Record<string, string> = {}, timeoutMs = 10_000): Poller {
  const samples: Sample[] = []
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const at = performance.now()
      try {
        const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) })
        await response.arrayBuffer()
        samples.push({ at, ms: performance.now() - at, status: response.status })
      } catch (error) {
        samples.push({ at, ms: performance.now() - at, status: 0, error: errorName(error) })
      }
      const wait = at + intervalMs - performance.now()
      if (wait > 0 && !stopped) await sleep(wait)
    }
  })()
  return {
    samples,
    async stop() {
      stopped = true
      await loop
      return samples
    },
  }
}

function errorName(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string } }
  return e.cause?.code ?? e.code ?? e.name ?? 'error'
}

// ---------------------------------------------------------------------------------------------
// Raw requests

export interface Outcome {
  /** HTTP status, or 0 when the request ended without a response. */
  status: number
  /** ECONNRESET, EPIPE, timeout… when status is 0. */
  error?: string
}

interface RawRequest {
  method: string
  path: string
  headers: Record<string, string>
  body?: Buffer
  /** Send the body with Transfer-Encoding: chunked (no Content-Length to refuse it by). */
  chunked?: boolean
}

/** One request on its own connection (no keep-alive: a hostile client does not care). */
function send(host: string, port: number, request: RawRequest, localAddress: string | undefined, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false
    const done = (outcome: Outcome) => {
      if (settled) return
      settled = true
      resolve(outcome)
    }
    const headers = { ...request.headers }
    if (request.body && !request.chunked) headers['content-length'] = String(request.body.length)
    const req = http.request({
      host,
      port,
      method: request.method,
      path: request.path,
      headers,
      agent: false,
      ...(localAddress ? { localAddress } : {}),
    })
    req.setTimeout(timeoutMs, () => {
      done({ status: 0, error: 'timeout' })
      req.destroy()
    })
    req.on('response', (response) => {
      // The status is what counts; the body is read and dropped so the socket can close.
      done({ status: response.statusCode ?? 0 })
      response.resume()
      response.on('error', () => undefined)
    })
    req.on('error', (error) => done({ status: 0, error: errorName(error) }))
    req.on('close', () => done({ status: 0, error: 'closed' }))
    if (request.body) {
      if (request.chunked) {
        // In 64 KiB chunks, so the server sees a stream it has to cut off.
        for (let i = 0; i < request.body.length; i += 65_536) req.write(request.body.subarray(i, i + 65_536))
      } else req.write(request.body)
    }
    req.end()
  })
}

export type Counts = Record<string, number>

export function countOutcomes(outcomes: Outcome[]): Counts {
  const counts: Counts = {}
  for (const o of outcomes) {
    const key = o.status === 0 ? (o.error ?? 'no response') : String(o.status)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

/** Runs `count` requests, `concurrency` at a time, until done or `signal` aborts; outcomes by kind. */
async function runBounded(
  count: number,
  concurrency: number,
  make: (i: number) => { kind: string; run: () => Promise<Outcome> },
  signal?: AbortSignal,
): Promise<{ sent: number; byKind: Map<string, Outcome[]>; seconds: number }> {
  const byKind = new Map<string, Outcome[]>()
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < count && !signal?.aborted) {
      const { kind, run } = make(next++)
      const outcome = await run()
      let list = byKind.get(kind)
      if (!list) byKind.set(kind, (list = []))
      list.push(outcome)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return { sent: next, byKind, seconds: (performance.now() - started) / 1000 }
}

export interface AttackTarget {
  host: string
  port: number
  /** Source addresses to spread over (127.0.0.x); default the one the system picks (127.0.0.1). */
  sources?: string[]
  signal?: AbortSignal
}

const pickSource = (target: AttackTarget, i: number) =>
  target.sources && target.sources.length > 0 ? target.sources[i % target.sources.length] : undefined

const FORM = 'application/x-www-form-urlencoded'
const TOKEN = '/oauth2/token'
const MIB = Buffer.alloc(1024 * 1024, 'a=b&')

/** The malformed and oversized token requests, each with the answer a careful server gives. */
export const MALFORMED_KINDS: Array<{ kind: string; expect: string; request: () => RawRequest }> = [
  {
    kind: 'bad percent-encoding',
    expect: '400',
    request: () => form('grant_type=client_credentials&client_id=%E0%A4%A&client_secret=%zz'),
  },
  { kind: 'no grant_type', expect: '400', request: () => form('client_id=x&client_secret=y') },
  { kind: 'unknown grant_type', expect: '400', request: () => form('grant_type=password&username=a&password=b') },
  { kind: 'client_id twice', expect: '400', request: () => form('grant_type=client_credentials&client_id=a&client_id=b&client_secret=c') },
  { kind: 'NUL in client_id', expect: '400', request: () => form('grant_type=client_credentials&client_id=%00&client_secret=c') },
  { kind: 'empty form body', expect: '400', request: () => ({ method: 'POST', path: TOKEN, headers: { 'content-type': FORM } }) },
  { kind: '20,000 repeated names', expect: '413', request: () => form('a&'.repeat(20_000)) },
  {
    kind: '1 MiB form (Content-Length)',
    expect: '413',
    request: () => ({ method: 'POST', path: TOKEN, headers: { 'content-type': FORM }, body: MIB }),
  },
  {
    kind: '1 MiB form (chunked)',
    expect: '413',
    request: () => ({ method: 'POST', path: TOKEN, headers: { 'content-type': FORM }, body: MIB, chunked: true }),
  },
  {
    kind: 'JSON body',
    expect: '415',
    request: () => body('application/json', '{"grant_type":"client_credentials","client_id":"a","client_secret":"b"}'),
  },
  { kind: 'text/plain body', expect: '415', request: () => body('text/plain', 'grant_type=client_credentials') },
  {
    kind: 'multipart body',
    expect: '415',
    request: () => body('multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n'),
  },
  {
    kind: 'malformed Basic header',
    expect: '401',
    request: () => ({ ...form('grant_type=client_credentials'), headers: { 'content-type': FORM, authorization: 'Basic !!!not-base64' } }),
  },
  {
    kind: 'random bytes as a form',
    expect: '400/401',
    request: () => ({ method: 'POST', path: TOKEN, headers: { 'content-type': FORM }, body: randomBytes(2048) }),
  },
]

function form(text: string): RawRequest {
  return body(FORM, text)
}

function body(contentType: string, text: string): RawRequest {
  return { method: 'POST', path: TOKEN, headers: { 'content-type': contentType }, body: Buffer.from(text) }
}

export interface FloodReport {
  sent: number
  seconds: number
  /** status (or error) → count, over all kinds. */
  counts: Counts
  /** kind → status counts. */
  byKind: Record<string, Counts>
}

function report(result: Awaited<ReturnType<typeof runBounded>>): FloodReport {
  const byKind: Record<string, Counts> = {}
  const all: Outcome[] = []
  for (const [kind, outcomes] of result.byKind) {
    byKind[kind] = countOutcomes(outcomes)
    all.push(...outcomes)
  }
  return { sent: result.sent, seconds: result.seconds, counts: countOutcomes(all), byKind }
}

/** `count` malformed or oversized token requests, cycling through MALFORMED_KINDS. */
export async function malformedTokenFlood(target: AttackTarget, count: number, concurrency: number): Promise<FloodReport> {
  const result = await runBounded(
    count,
    concurrency,
    (i) => {
      const kind = MALFORMED_KINDS[i % MALFORMED_KINDS.length]!
      return { kind: kind.kind, run: () => send(target.host, target.port, kind.request(), pickSource(target, i), 30_000) }
    },
    target.signal,
  )
  return report(result)
}

/** `count` well-formed token requests for client ids that do not exist. */
export async function bogusClientFlood(target: AttackTarget, count: number, concurrency: number): Promise<FloodReport> {
  const result = await runBounded(
    count,
    concurrency,
    (i) => {
      const id = `tc_${randomBytes(12).toString('hex')}`
      const secret = randomBytes(32).toString('base64url')
      const request = form(`grant_type=client_credentials&client_id=${id}&client_secret=${secret}`)
      return { kind: 'made-up client id', run: () => send(target.host, target.port, request, pickSource(target, i), 30_000) }
    },
    target.signal,
  )
  return report(result)
}

// ---------------------------------------------------------------------------------------------
// Slowloris

export interface SlowlorisReport {
  opened: number
  /** Closed by the server while we were still sending headers. */
  closedByServer: number
  /** Of those, how many got an HTTP response first (Node answers 408 on headersTimeout). */
  answered: Counts
  /** Seconds from connect to the server's close: min, p50, max. */
  lifetime: { min: number; p50: number; max: number }
  /** Still open when the attack ended (we closed them). */
  openAtEnd: number
  connectErrors: Counts
}

/**
 * `sockets` connections that each send a request line and then one more header line every
 * `lineEveryMs`, never the blank line that ends the headers. With `reopen`, a socket the server
 * closes is replaced, so the server faces `sockets` of them for the whole `holdMs`. Resolves when
 * `holdMs` has passed, or (without reopen) earlier once the server closed them all.
 */
export function slowloris(
  target: AttackTarget,
  options: { sockets: number; lineEveryMs: number; holdMs: number; reopen: boolean },
): Promise<SlowlorisReport> {
  const lifetimes: number[] = []
  const answered: Counts = {}
  const connectErrors: Counts = {}
  const open = new Set<net.Socket>()
  let opened = 0
  let ending = false
  return new Promise((resolve) => {
    const finish = () => {
      if (ending) return
      ending = true
      clearTimeout(holdTimer)
      const openAtEnd = open.size
      for (const socket of open) socket.destroy()
      const sorted = lifetimes.slice().sort((a, b) => a - b)
      resolve({
        opened,
        closedByServer: lifetimes.length,
        answered,
        lifetime: { min: sorted[0] ?? Number.NaN, p50: percentile(sorted, 50), max: sorted[sorted.length - 1] ?? Number.NaN },
        openAtEnd,
        connectErrors,
      })
    }
    const holdTimer = setTimeout(finish, options.holdMs)
    target.signal?.addEventListener('abort', finish, { once: true })
    const openOne = (i: number) => {
      if (ending) return
      opened++
      const source = pickSource(target, i)
      const socket = net.connect({ host: target.host, port: target.port, ...(source ? { localAddress: source } : {}) })
      open.add(socket)
      let connectedAt: number | undefined
      let firstBytes = ''
      let line = 0
      let timer: NodeJS.Timeout | undefined
      socket.on('connect', () => {
        connectedAt = performance.now()
        socket.write(`POST ${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\n`)
        timer = setInterval(() => socket.write(`X-Slow-${line}: ${line++}\r\n`), options.lineEveryMs)
      })
      socket.on('data', (chunk: Buffer) => {
        if (firstBytes.length < 16) firstBytes += chunk.toString('latin1')
      })
      socket.on('error', (error) => {
        if (connectedAt === undefined) {
          const code = errorName(error)
          connectErrors[code] = (connectErrors[code] ?? 0) + 1
        }
      })
      socket.on('close', () => {
        clearInterval(timer)
        open.delete(socket)
        if (ending) return
        if (connectedAt !== undefined) {
          lifetimes.push((performance.now() - connectedAt) / 1000)
          const status = /^HTTP\/1\.1 (\d{3})/.exec(firstBytes)?.[1] ?? 'no response'
          answered[status] = (answered[status] ?? 0) + 1
        }
        if (options.reopen) setTimeout(() => openOne(i), connectedAt === undefined ? 250 : 0)
        else if (open.size === 0) finish()
      })
    }
    for (let i = 0; i < options.sockets; i++) openOne(i)
  })
}

// ---------------------------------------------------------------------------------------------
// The server process, from /proc

export interface ProcSample {
  /** performance.now() */
  at: number
  rssMb: number
  cpuMs: number
}

/** Reads VmRSS and CPU time of `pid` every `everyMs`. */
export function sampleProcess(pid: number, everyMs: number): { samples: ProcSample[]; stop(): ProcSample[] } {
  const samples: ProcSample[] = []
  const take = () => {
    const rss = rssMb(pid)
    const cpu = cpuMs(pid)
    if (rss !== undefined && cpu !== undefined) samples.push({ at: performance.now(), rssMb: rss, cpuMs: cpu })
  }
  take()
  const timer = setInterval(take, everyMs)
  return {
    samples,
    stop() {
      clearInterval(timer)
      take()
      return samples
    },
  }
}

export function rssMb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

/** Cores' worth of CPU the process used between two samples. */
export function coresBetween(from: ProcSample | undefined, to: ProcSample | undefined): number {
  if (!from || !to || to.at <= from.at) return Number.NaN
  return (to.cpuMs - from.cpuMs) / (to.at - from.at)
}

/** The samples taken in [from, to) (performance.now() times). */
export const within = <T extends { at: number }>(samples: T[], from: number, to: number) => samples.filter((s) => s.at >= from && s.at < to)

// ---------------------------------------------------------------------------------------------
// Printing

export function table(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}

export const fmtMs = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : 'n/a')

export const fmtCounts = (counts: Counts) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || 'none'
