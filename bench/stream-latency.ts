// From commit to a partner's hands through the live streams: `runSimulation` (what `tickets
// simulate` plays) drives the API at a given rate on PostgreSQL while one SSE stream and one
// websocket follow the first provider. Two figures per event:
// - since its occurred_at, taken when the server began the write: includes the write's own time
//   (queueing for a connection, the transaction, the commit) when the server is loaded;
// - for probe tickets created every 100 ms beside the simulation: since the probe's write was
//   answered (the commit is done by then), clamped at 0 when the stream was faster than the answer.
// Not part of `npm test`.
//
//   npx tsx bench/stream-latency.ts [--rate 300] [--seconds 30]
import http from 'node:http'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { runSimulation } from '../src/simulate/index.js'
import { percentile, startStreamServer } from './streams/stream-server.js'

const { values } = parseArgs({ options: { rate: { type: 'string', default: '300' }, seconds: { type: 'string', default: '30' } } })
const rate = Number(values.rate)
const seconds = Number(values.seconds)

const server = await startStreamServer()
try {
  const token = await server.token(0)
  const sse: number[] = []
  const ws: number[] = []
  const lag = (occurredAt: string) => Date.now() - Date.parse(occurredAt)
  // Probe ticket id → when its create was answered; and when the SSE stream delivered it.
  const answered = new Map<string, number>()
  const delivered = new Map<string, number>()
  const probe = (doc: { type: string; payload?: { ticket?: { id: string } } }) => {
    if (doc.type === 'tickets.ticket.created' && doc.payload?.ticket) delivered.set(doc.payload.ticket.id, performance.now())
  }

  const stream = http.get(
    `${server.baseUrl}/v2/system/events/stream`,
    { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
    (response) => {
      response.setEncoding('utf8')
      let buffer = ''
      response.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (!data || block.includes('event: stream.position')) continue
          const doc = JSON.parse(data) as { occurred_at: string; type: string }
          sse.push(lag(doc.occurred_at))
          probe(doc)
        }
      })
    },
  )
  const socket = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/wssprd`, { headers: { authorization: `Bearer ${token}` } })
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { action: string; message?: { occurred_at: string } }
    if (message.action === 'event-received') ws.push(lag(message.message!.occurred_at))
  })
  socket.send(JSON.stringify({ action: 'subscribe-to-event', event_type: 'tickets.*' }))
  await new Promise((resolve) => setTimeout(resolve, 1_000))

  const probing = setInterval(() => {
    void fetch(`${server.baseUrl}/v2/tickets/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customer_id: '160c0c4b-9966-4dc1-a916-8407eb10d74e', vehicle_model_id: 4711, vin: 'WVWZZZ1JZXW000001' }),
    }).then(async (response) => {
      const at = performance.now()
      if (response.status === 201) answered.set(((await response.json()) as { id: string }).id, at)
    })
  }, 100)
  const result = await runSimulation({
    baseUrl: server.baseUrl,
    credentials: server.credentials,
    rate,
    durationMs: seconds * 1000,
    allowInsecureHttp: true,
  })
  clearInterval(probing)
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  const probes = [...answered].filter(([id]) => delivered.has(id)).map(([id, at]) => Math.max(0, Math.round(delivered.get(id)! - at)))
  const line = (name: string, lags: number[]) =>
    `${name}: ${lags.length} events, p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${Math.max(...lags)} ms`
  process.stdout.write(
    [
      `simulation: ${seconds} s at ${rate} ops/s asked: ${result.ops} ops in ${(result.durationMs / 1000).toFixed(1)} s ` +
        `(${(result.ops / (result.durationMs / 1000)).toFixed(0)} ops/s), ${result.errors} errors`,
      line('SSE', sse),
      line('websocket', ws),
      `${line('SSE, probes after their write was answered', probes)} (${answered.size} probes answered)`,
    ].join('\n') + '\n',
  )
  stream.destroy()
  socket.close()
} finally {
  await server.stop()
}
