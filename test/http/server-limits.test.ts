// Socket-level limits on a real listener: a client that never finishes its headers or its
// body is cut off, connections beyond the cap are dropped at once, and the service keeps
// answering everyone else meanwhile.
import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp } from '../support/api.js'
import { openTestStore, type TestStore } from '../support/stores.js'

let opened: TestStore
let app: FastifyInstance
let port: number

beforeAll(async () => {
  opened = await openTestStore('embedded')
  app = await createTestApp(opened.store, {
    server: { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000, keepAliveTimeoutMs: 1_000, maxConnections: 20 },
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  port = (app.server.address() as AddressInfo).port
})
afterAll(async () => {
  await app.close()
  await opened.dispose()
})

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Resolves with what the server sent once it closes the connection (or after `limitMs`). */
function closedBy(socket: Socket, limitMs: number): Promise<{ closed: boolean; received: string }> {
  return new Promise((resolve) => {
    let received = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk))
    socket.on('error', () => undefined)
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ closed: false, received })
    }, limitMs)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve({ closed: true, received })
    })
  })
}

it('cuts off a client that never finishes its headers (slowloris), answering 408', async () => {
  const socket = await open()
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
  // One more header line now and then, never the blank line that ends them.
  const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 300)
  const outcome = await closedBy(socket, 15_000)
  clearInterval(drip)
  expect(outcome.closed).toBe(true)
  expect(outcome.received).toMatch(/^HTTP\/1\.1 408 /)
})

it('cuts off a client that never finishes its body', async () => {
  const socket = await open()
  socket.write(
    'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=',
  )
  const outcome = await closedBy(socket, 15_000)
  expect(outcome.closed).toBe(true)
})

it('closes idle kept-alive connections', async () => {
  const socket = await open()
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
  const outcome = await closedBy(socket, 15_000)
  expect(outcome.closed).toBe(true)
  expect(outcome.received).toMatch(/^HTTP\/1\.1 200 /)
})

it('drops connections beyond the cap at once and keeps serving the others', async () => {
  const held = await Promise.all(Array.from({ length: 20 }, () => open()))
  try {
    // Node accepts, then destroys, sockets over maxConnections: the 21st closes unanswered.
    const extra = await open().catch(() => undefined)
    if (extra) {
      extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
      const outcome = await closedBy(extra, 5_000)
      expect(outcome).toEqual({ closed: true, received: '' })
    }
  } finally {
    for (const socket of held) socket.destroy()
  }
  // Once they are gone, new connections are served again.
  await new Promise((resolve) => setTimeout(resolve, 100))
  const response = await fetch(`http://127.0.0.1:${port}/healthz`)
  expect(response.status).toBe(200)
})
