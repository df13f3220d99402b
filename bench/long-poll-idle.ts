// What caught-up long polls cost while they wait: N partners (default 500) hold
// GET /v2/system/events?wait=30 on a server on PostgreSQL whose feed has nothing new; over the
// window the script reads the CPU (/proc) of the server (all threads) and of its PostgreSQL
// backends. A wait that polled the database would show as both. Then one event is
// committed and the script times how long until every poll has answered with it.
// Not part of `npm test`.
//
//   npx tsx bench/long-poll-idle.ts [--polls 500] [--hold 20]   (hold at most 20)
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { DATABASE_URL, startStreamServer } from './streams/stream-server.js'

const { values } = parseArgs({ options: { polls: { type: 'string', default: '500' }, hold: { type: 'string', default: '20' } } })
const polls = Number(values.polls)
// The polls wait 30 s: 5 s to settle, the window, and time to answer the commit within it.
const holdSeconds = Math.min(Number(values.hold), 20)

const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const server = await startStreamServer({
  // One API client holds them all here; a partner would hold one or two.
  settings: { TICKETS_MAX_CONNECTIONS: String(polls + 100), TICKETS_CLIENT_CONCURRENCY: '0', TICKETS_RATE_LIMIT: '0' },
})
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })
const admin = new pg.Client({ connectionString: DATABASE_URL })
await admin.connect()
try {
  const token = await server.token(0)
  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get(`${server.baseUrl}${path}`, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
          let body = ''
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
        })
        .on('error', reject)
    })
  // One event, so that the polls can wait after a real position.
  const created = await fetch(`${server.baseUrl}/v2/tickets/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customer_id: '160c0c4b-9966-4dc1-a916-8407eb10d74e', vehicle_model_id: 4711, vin: 'WVWZZZ1JZXW000001' }),
  })
  if (created.status !== 201) throw new Error(`create: ${created.status}`)
  const feed = JSON.parse((await get('/v2/system/events?limit=1000')).body) as { result: Array<{ id: string }> }
  const last = feed.result.at(-1)!.id
  const database = new URL(server.databaseUrl).pathname.slice(1)
  const answered: number[] = []
  const waiting = Array.from({ length: polls }, () =>
    get(`/v2/system/events?after_id=${last}&wait=30`).then((response) => {
      answered.push(performance.now())
      return response
    }),
  )
  // Let every poll arrive, read once, and settle into its wait.
  await new Promise((resolve) => setTimeout(resolve, 5_000))
  const pgCpu = async () => {
    const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])
    let sum = 0
    for (const { pid } of rows)
      try {
        sum += cpuMs(pid)
      } catch {
        // A backend that ended meanwhile.
      }
    return sum
  }
  const cpuBefore = cpuMs(server.pid)
  const pgBefore = await pgCpu()
  await new Promise((resolve) => setTimeout(resolve, holdSeconds * 1000))
  const cpu = cpuMs(server.pid) - cpuBefore
  const pgUsed = (await pgCpu()) - pgBefore
  const early = answered.length

  const committedAt = performance.now()
  await fetch(`${server.baseUrl}/v2/tickets/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customer_id: '160c0c4b-9966-4dc1-a916-8407eb10d74e', vehicle_model_id: 4711, vin: 'WVWZZZ1JZXW000001' }),
  })
  const responses = await Promise.all(waiting)
  const withEvent = responses.filter((r) => r.status === 200 && (JSON.parse(r.body) as { result: unknown[] }).result.length === 1).length
  process.stdout.write(
    `${polls} long polls held ${holdSeconds} s: server CPU ${cpu} ms in all (${((cpu / holdSeconds / 1000) * 100).toFixed(2)}% of a core), ` +
      `its PostgreSQL backends ${pgUsed} ms (the webhook dispatcher looks for due work once a second), ${early} answered before the commit; ` +
      `after one commit ${withEvent} of ${polls} answered with the event, the last ${(Math.max(...answered) - committedAt).toFixed(0)} ms after it\n`,
  )
} finally {
  await admin.end()
  await server.stop()
}
