// How much an idle live stream costs the server: N SSE clients (default 1,000) connected to a
// server on PostgreSQL, the server's RSS before and with them (after heartbeats have flowed),
// and how long one commit takes to reach every one of them. Not part of `npm test`.
//
//   npx tsx bench/stream-clients.ts [--clients 1000] [--hold 20]
//
// Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) and
// about 2 file descriptors per client in each process (the shell's `ulimit -n`).
import http from 'node:http'
import { parseArgs } from 'node:util'
import { startStreamServer } from './streams/stream-server.js'

const { values } = parseArgs({ options: { clients: { type: 'string', default: '1000' }, hold: { type: 'string', default: '20' } } })
const clients = Number(values.clients)
const holdSeconds = Number(values.hold)

const server = await startStreamServer({
  settings: {
    // One API client opens them all here; a partner would have one or two.
    TICKETS_STREAMS_PER_CLIENT: '0',
    TICKETS_MAX_CONNECTIONS: String(clients + 100),
  },
})
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })
try {
  const token = await server.token(0)
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  const idleRss = server.rssMb()
  const received: number[] = new Array<number>(clients).fill(0)
  const requests: http.ClientRequest[] = []
  let opened = 0
  const allOpen = new Promise<void>((resolve, reject) => {
    for (let i = 0; i < clients; i++) {
      const request = http.get(
        `${server.baseUrl}/v2/system/events/stream?type=tickets.ticket.created`,
        { agent, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
        (response) => {
          if (response.statusCode !== 200) return reject(new Error(`stream ${i}: HTTP ${response.statusCode}`))
          response.setEncoding('utf8')
          let first = true
          response.on('data', (chunk: string) => {
            if (first && chunk.includes('stream.position')) {
              first = false
              if (++opened === clients) resolve()
            }
            if (chunk.includes('event: tickets.ticket.created')) received[i] = performance.now()
          })
        },
      )
      request.on('error', reject)
      requests.push(request)
    }
  })
  const started = performance.now()
  await allOpen
  const openMs = performance.now() - started
  process.stdout.write(`${clients} streams open in ${(openMs / 1000).toFixed(1)} s\n`)
  // Let heartbeats flow and timers settle before reading memory.
  await new Promise((resolve) => setTimeout(resolve, holdSeconds * 1000))
  const heldRss = server.rssMb()

  // One commit, fanned out to every stream.
  const writer = await server.token(0)
  const before = performance.now()
  const created = await fetch(`${server.baseUrl}/v2/tickets/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customer_id: '160c0c4b-9966-4dc1-a916-8407eb10d74e', vehicle_model_id: 4711, vin: 'WVWZZZ1JZXW000001' }),
  })
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`)
  const deadline = Date.now() + 30_000
  while (received.some((t) => t === 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  const reached = received.filter((t) => t > 0)
  const lastMs = Math.max(...reached) - before
  const finalRss = server.rssMb()
  process.stdout.write(
    [
      `server RSS: ${idleRss.toFixed(0)} MB idle, ${heldRss.toFixed(0)} MB with ${clients} streams held ${holdSeconds} s ` +
        `(${(((heldRss - idleRss) * 1024) / clients).toFixed(1)} KB a stream), ${finalRss.toFixed(0)} MB after one event to all`,
      `one commit reached ${reached.length}/${clients} streams; the last ${lastMs.toFixed(0)} ms after the request was sent`,
    ].join('\n') + '\n',
  )
  for (const request of requests) request.destroy()
} finally {
  await server.stop()
}
