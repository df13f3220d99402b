// From commit to a partner's hands, through each live channel: `tickets simulate`'s driver
// plays the platform against a server on PostgreSQL at a given rate (in a child process, so its
// load does not delay this one's timers), for a warm-up that is not counted (a server just
// started, with a cold JIT and an empty world, builds a backlog that takes seconds to drain)
// and then the measured seconds, while this process follows the first provider with
// one SSE stream, one websocket and one webhook endpoint whose receiver is a local HTTP server.
// Two figures per channel:
// - every event: from its occurred_at (taken when the server began the write) to its arrival
//   here; it includes the write's own time (a connection, the transaction, the commit);
// - probes: tickets created every 100 ms beside the simulation, from the moment the create was
//   answered (its commit is done by then) to the event's arrival, clamped at 0 when the channel
//   was faster than the answer.
// Not part of `npm test`.
//
//   npx tsx bench/delivery-latency.ts [--rate 300] [--seconds 30] [--warmup 15]
import http from 'node:http'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { runSimulationInChild } from './streams/run-simulation.js'
import { percentile, startStreamServer } from './streams/stream-server.js'

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '15' },
  },
})
const rate = Number(values.rate)
const seconds = Number(values.seconds)
const warmupSeconds = Number(values.warmup)
/** Events that occurred before this (the warm-up) are not counted; set when the simulation starts. */
let measureFrom = Number.POSITIVE_INFINITY

interface EventDoc {
  id: string
  type: string
  occurred_at: string
  payload?: { ticket?: { id: string } }
}

/** What one channel saw: lag of every event since occurred_at, and when each probe ticket arrived. */
class Channel {
  readonly lags: number[] = []
  readonly probes = new Map<string, number>()
  readonly ids = new Set<string>()
  readonly occurred: number[] = []
  constructor(readonly name: string) {}
  saw(doc: EventDoc): void {
    const now = Date.now()
    if (Date.parse(doc.occurred_at) < measureFrom) return
    this.ids.add(doc.id)
    this.occurred.push(Date.parse(doc.occurred_at))
    this.lags.push(now - Date.parse(doc.occurred_at))
    if (doc.type === 'tickets.ticket.created' && doc.payload?.ticket) this.probes.set(doc.payload.ticket.id, performance.now())
  }
}

const server = await startStreamServer({ rate, settings: { TICKETS_WEBHOOKS_ALLOW_PRIVATE: 'true' } })
const receiver = http.createServer()
try {
  const token = await server.token(0)
  const sse = new Channel('SSE')
  const ws = new Channel('websocket')
  const webhook = new Channel('webhook')

  // The webhook receiver: answers 204 at once, like a receiver that queues the work.
  receiver.on('request', (request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      response.writeHead(204).end()
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; data: EventDoc }
      if (message.type !== 'webhook.test') webhook.saw(message.data)
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const { port } = receiver.address() as { port: number }
  const manage = await server.webhookToken()
  const created = await fetch(`${server.baseUrl}/v2/system/webhook-endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${manage}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `http://127.0.0.1:${port}/hook`, event_types: ['tickets.ticket.*'], description: 'delivery latency' }),
  })
  if (created.status !== 201) throw new Error(`webhook endpoint: ${created.status} ${await created.text()}`)
  const endpointId = ((await created.json()) as { id: string }).id

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
          if (data && !block.includes('event: stream.position')) sse.saw(JSON.parse(data) as EventDoc)
        }
      })
    },
  )
  const socket = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/wssprd`, { headers: { authorization: `Bearer ${token}` } })
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { action: string; message?: EventDoc }
    if (message.action === 'event-received') ws.saw(message.message!)
  })
  socket.send(JSON.stringify({ action: 'subscribe-to-event', event_type: 'tickets.*' }))
  await new Promise((resolve) => setTimeout(resolve, 1_000))

  const answered = new Map<string, number>()
  measureFrom = Date.now() + warmupSeconds * 1000
  const probing = setInterval(() => {
    if (Date.now() < measureFrom) return
    void fetch(`${server.baseUrl}/v2/tickets/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customer_id: '160c0c4b-9966-4dc1-a916-8407eb10d74e', vehicle_model_id: 4711, vin: 'WVWZZZ1JZXW000001' }),
    }).then(async (response) => {
      const at = performance.now()
      if (response.status === 201) answered.set(((await response.json()) as { id: string }).id, at)
    })
  }, 100)
  const result = await runSimulationInChild({
    baseUrl: server.baseUrl,
    credentials: server.credentials,
    rate,
    durationMs: (warmupSeconds + seconds) * 1000,
  })
  clearInterval(probing)
  // Let the channels drain what was committed last.
  await new Promise((resolve) => setTimeout(resolve, 3_000))
  const line = (name: string, lags: number[]) =>
    `${name}: ${lags.length} events, p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${Math.max(...lags)} ms`
  const probeLags = (channel: Channel) =>
    [...answered].filter(([id]) => channel.probes.has(id)).map(([id, at]) => Math.max(0, Math.round(channel.probes.get(id)! - at)))
  const lines = [
    `simulation: ${warmupSeconds} s warm-up (not counted) + ${seconds} s at ${rate} ops/s asked: ${result.ops} ops in ${(result.durationMs / 1000).toFixed(1)} s ` +
      `(${(result.ops / (result.durationMs / 1000)).toFixed(0)} ops/s), ${result.errors} errors; ${answered.size} probes answered`,
  ]
  for (const channel of [sse, ws, webhook]) {
    lines.push(line(`${channel.name}, since occurred_at`, channel.lags))
    lines.push(line(`${channel.name}, probes since their write was answered`, probeLags(channel)))
  }
  // How each channel's lag moved over the run: a backlog that grows, a warm-up, or spikes.
  for (const channel of [sse, webhook]) {
    const tenth = (i: number) =>
      channel.lags.slice(Math.floor((i * channel.lags.length) / 10), Math.floor(((i + 1) * channel.lags.length) / 10))
    const tenths = Array.from({ length: 10 }, (_, i) => `${percentile(tenth(i), 50)}/${percentile(tenth(i), 99)}`)
    lines.push(`${channel.name} p50/p99 by tenth of the run: ${tenths.join(', ')} ms`)
  }
  const first = Math.min(...sse.occurred)
  const perWindow = new Array<number>(Math.ceil(seconds / 2) + 2).fill(0)
  for (const at of sse.occurred) perWindow[Math.floor((at - first) / 2000)]! += 1
  lines.push(`events per 2 s window (the provider followed): ${perWindow.join(', ')}`)
  // Failed attempts (a retry waits 5 s) would show as a lag of seconds.
  const log = (await (
    await fetch(`${server.baseUrl}/v2/system/webhook-endpoints/${endpointId}/deliveries?limit=1000`, {
      headers: { authorization: `Bearer ${manage}` },
    })
  ).json()) as { result: Array<{ succeeded: boolean; error: string | null; response_status: number | null }> }
  const failures = log.result.filter((attempt) => !attempt.succeeded)
  lines.push(
    `webhook: ${failures.length} failed attempts among the last ${log.result.length} logged${failures[0] ? ` (${failures[0].error ?? failures[0].response_status})` : ''}`,
  )
  const missing = [...sse.ids].filter((id) => !webhook.ids.has(id)).length
  lines.push(`webhook: ${webhook.ids.size} distinct events; ${missing} of the stream's events not delivered by webhook`)
  process.stdout.write(lines.join('\n') + '\n')
  stream.destroy()
  socket.close()
} finally {
  receiver.close()
  await server.stop()
}
