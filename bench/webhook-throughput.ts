// Webhook deliveries per second to local receivers: a backlog of events is written first,
// then E endpoints (each its own local receiver, answering 204 at once) are created and asked
// to `recover` since before the backlog, and the clock runs until every endpoint has received
// every event. The dispatcher serves up to 16 endpoints at once, each in feed order. Receivers
// check each delivery's signature with the `standardwebhooks` package (the reference
// implementation), so a delivery counts only once a receiver would accept it. Also reports the
// server's CPU per delivery. Not part of `npm test`.
//
//   npx tsx bench/webhook-throughput.ts [--events 2000] [--endpoints 16]
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Webhook } from 'standardwebhooks'
import { startStreamServer } from './streams/stream-server.js'

const { values } = parseArgs({ options: { events: { type: 'string', default: '2000' }, endpoints: { type: 'string', default: '16' } } })
const eventCount = Number(values.events)
const endpointCount = Number(values.endpoints)

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const server = await startStreamServer({ settings: { TICKETS_WEBHOOKS_ALLOW_PRIVATE: 'true' } })
const receivers: http.Server[] = []
try {
  const token = await server.token(0)
  const manage = await server.webhookToken()
  const since = new Date(Date.now() - 1000).toISOString()
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next++ < eventCount) {
        const response = await fetch(`${server.baseUrl}/v2/tickets/tickets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ customer_id: '160c0c4b-9966-4dc1-a916-8407eb10d74e', vehicle_model_id: 4711, vin: 'WVWZZZ1JZXW000001' }),
        })
        if (response.status !== 201) throw new Error(`create: ${response.status} ${await response.text()}`)
      }
    }),
  )

  let delivered = 0
  let rejected = 0
  const expected = eventCount * endpointCount
  let finished!: () => void
  const done = new Promise<void>((resolve) => (finished = resolve))
  const endpoints: Array<{ id: string; seen: Set<string> }> = []
  for (let i = 0; i < endpointCount; i++) {
    const seen = new Set<string>()
    let verifier: Webhook | undefined
    const receiver = http.createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        response.writeHead(204).end()
        try {
          verifier!.verify(Buffer.concat(chunks).toString('utf8'), request.headers as Record<string, string>)
        } catch {
          rejected++
          return
        }
        const id = String(request.headers['webhook-id'])
        if (seen.has(id)) return
        seen.add(id)
        if (++delivered === expected) finished()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    receivers.push(receiver)
    const created = await fetch(`${server.baseUrl}/v2/system/webhook-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${manage}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`,
        event_types: ['tickets.ticket.*'],
      }),
    })
    if (created.status !== 201) throw new Error(`endpoint: ${created.status} ${await created.text()}`)
    const endpoint = (await created.json()) as { id: string; secret: string }
    verifier = new Webhook(endpoint.secret)
    endpoints.push({ id: endpoint.id, seen })
  }

  const cpuBefore = cpuMs(server.pid)
  const started = performance.now()
  await Promise.all(
    endpoints.map(async ({ id }) => {
      const response = await fetch(`${server.baseUrl}/v2/system/webhook-endpoints/${id}/recover`, {
        method: 'POST',
        headers: { authorization: `Bearer ${manage}`, 'content-type': 'application/json' },
        body: JSON.stringify({ since }),
      })
      if (!response.ok) throw new Error(`recover: ${response.status} ${await response.text()}`)
    }),
  )
  const timeout = setTimeout(finished, 300_000)
  await done
  clearTimeout(timeout)
  const seconds = (performance.now() - started) / 1000
  const cpu = cpuMs(server.pid) - cpuBefore
  process.stdout.write(
    `${delivered} of ${expected} deliveries (${eventCount} events × ${endpointCount} endpoints) in ${seconds.toFixed(1)} s: ` +
      `${(delivered / seconds).toFixed(0)} deliveries/s; server CPU ${(cpu / delivered).toFixed(2)} ms per delivery; ` +
      `${rejected} rejected by the standardwebhooks verifier\n`,
  )
} finally {
  for (const receiver of receivers) receiver.close()
  await server.stop()
}
