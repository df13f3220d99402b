// The walk: every ticket of the big provider, page after page by the `next` cursor, on one
// connection, timing each page; and, for contrast, `offset` pages at the same depths. A walk
// whose cost per page is flat shows the same page time at the end as at the start. It also
// checks what a walk promises: every ticket exactly once, as many as `total` says.
import type { RunningServer } from './server.js'
import { percentile } from './stats.js'
import { TICKETS_PATH } from './scenarios.js'

export interface WalkResult {
  tickets: number
  pageSize: number
  pages: number
  seconds: number
  /** Page latency p50 over the first, middle and last tenth of the walk. */
  startP50: number
  middleP50: number
  endP50: number
  /** The same page size fetched by offset at the start, middle and end depths (p50 of a few). */
  offsetP50: { offset: number; ms: number }[]
  /** Problems with the walk itself (must be empty). */
  problems: string[]
}

interface ListBody {
  result: { id: string }[]
  total: number
  next: string | null
}

async function fetchPage(server: RunningServer, token: string, query: string): Promise<{ body: ListBody; ms: number }> {
  const started = performance.now()
  const response = await fetch(`${server.baseUrl}${TICKETS_PATH}?${query}`, { headers: { authorization: `Bearer ${token}` } })
  const text = await response.text()
  const ms = performance.now() - started
  if (response.status !== 200) throw new Error(`walk: ${query} answered ${response.status}: ${text.slice(0, 300)}`)
  return { body: JSON.parse(text) as ListBody, ms }
}

/** p50 of a tenth of the pages, centred at `at` (0 = the first tenth, 1 = the last). */
const tenth = (times: number[], at: number) => {
  const size = Math.max(1, Math.floor(times.length / 10))
  const start = Math.round(at * (times.length - size))
  return percentile(times.slice(start, start + size), 50)
}

export async function walkByCursor(server: RunningServer, token: string, pageSize: number): Promise<WalkResult> {
  const seen = new Set<string>()
  const times: number[] = []
  const problems: string[] = []
  const started = performance.now()
  let query = `limit=${pageSize}`
  let total = 0
  for (;;) {
    const { body, ms } = await fetchPage(server, token, query)
    times.push(ms)
    total = body.total
    for (const { id } of body.result) {
      if (seen.has(id)) problems.push(`ticket ${id} came twice`)
      seen.add(id)
    }
    if (body.next === null) break
    if (body.result.length !== pageSize) problems.push(`page ${times.length} had ${body.result.length} tickets and a next cursor`)
    query = `limit=${pageSize}&after=${encodeURIComponent(body.next)}`
  }
  const seconds = (performance.now() - started) / 1000
  if (seen.size !== total) problems.push(`walked ${seen.size} tickets, total says ${total}`)

  const offsetP50: WalkResult['offsetP50'] = []
  for (const depth of [0, 0.5, 1]) {
    const offset = Math.max(0, Math.floor((depth * total) / pageSize) * pageSize - (depth === 1 ? pageSize : 0))
    const samples: number[] = []
    for (let i = 0; i < 5; i++) samples.push((await fetchPage(server, token, `limit=${pageSize}&offset=${offset}`)).ms)
    offsetP50.push({ offset, ms: percentile(samples, 50) })
  }
  return {
    tickets: seen.size,
    pageSize,
    pages: times.length,
    seconds,
    startP50: tenth(times, 0),
    middleP50: tenth(times, 0.5),
    endP50: tenth(times, 1),
    offsetP50,
    problems: problems.slice(0, 10),
  }
}
