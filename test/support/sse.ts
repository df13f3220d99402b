// Live streams over real sockets for the tests: a raw HTTP reader that keeps the stream's text
// and splits it into SSE blocks (for framing, headers and comments), and an EventSource of the
// `eventsource` package (a WHATWG-conformant client, the judge of our framing) that sends a
// bearer token through its custom fetch.
import http from 'node:http'
import type { FastifyInstance } from 'fastify'
import { EventSource } from 'eventsource'

/** Listens on a free loopback port; returns the base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address !== 'object') throw new Error('not listening')
  return `http://127.0.0.1:${address.port}`
}

export interface SseBlock {
  id?: string
  event?: string
  data?: string
  retry?: string
  comments: string[]
}

/** Splits complete blocks (ended by a blank line) the way the WHATWG parser reads lines. */
export function parseBlocks(text: string): SseBlock[] {
  const blocks: SseBlock[] = []
  const complete = text.slice(0, text.lastIndexOf('\n\n') + 2)
  for (const raw of complete.split('\n\n')) {
    if (raw === '') continue
    const block: SseBlock = { comments: [] }
    for (const line of raw.split('\n')) {
      if (line.startsWith(':')) block.comments.push(line.slice(1).trimStart())
      else {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon) as 'id' | 'event' | 'data' | 'retry'
        const value = line.slice(colon + 1).replace(/^ /, '')
        block[name] = name === 'data' && block.data !== undefined ? `${block.data}\n${value}` : value
      }
    }
    blocks.push(block)
  }
  return blocks
}

export interface RawStream {
  status: number
  headers: http.IncomingHttpHeaders
  /** Everything received so far. */
  text(): string
  blocks(): SseBlock[]
  /** Resolves once the server ended the response (true) or the wait is over (false). */
  ended(timeoutMs?: number): Promise<boolean>
  /** Resolves once `predicate` holds for the blocks received (rejects after `timeoutMs`). */
  until(predicate: (blocks: SseBlock[]) => boolean, timeoutMs?: number): Promise<SseBlock[]>
  close(): void
}

/** GET `url` and keep reading, however long the answer lasts. */
export function openRaw(url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      let text = ''
      let done = false
      const waiters = new Set<() => void>()
      const poke = () => {
        for (const waiter of [...waiters]) waiter()
      }
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
        poke()
      })
      const finish = () => {
        done = true
        poke()
      }
      response.on('end', finish)
      response.on('close', finish)
      response.on('error', finish)
      const wait = <T>(check: () => T | undefined, timeoutMs: number, what: string) =>
        new Promise<T>((resolveWait, rejectWait) => {
          const attempt = () => {
            const value = check()
            if (value === undefined) return false
            cleanup()
            resolveWait(value)
            return true
          }
          const timer = setTimeout(() => {
            cleanup()
            rejectWait(new Error(`${what} within ${timeoutMs} ms; received: ${JSON.stringify(text.slice(-2000))}`))
          }, timeoutMs)
          const cleanup = () => {
            clearTimeout(timer)
            waiters.delete(waiter)
          }
          const waiter = () => void attempt()
          waiters.add(waiter)
          attempt()
        })
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        text: () => text,
        blocks: () => parseBlocks(text),
        ended: (timeoutMs = 10_000) => wait(() => (done ? true : undefined), timeoutMs, 'the stream did not end').catch(() => false),
        until: (predicate, timeoutMs = 10_000) =>
          wait(
            () => {
              const blocks = parseBlocks(text)
              return predicate(blocks) ? blocks : undefined
            },
            timeoutMs,
            'the expected blocks did not arrive',
          ),
        close: () => request.destroy(),
      })
    })
    request.on('error', reject)
  })
}

/** An EventSource that authenticates with `token` on every (re)connection. */
export function eventSource(url: string, token: () => string): EventSource {
  return new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, authorization: `Bearer ${token()}` } }),
  })
}
