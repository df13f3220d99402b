// How far the server's heap grows between full garbage collections. After each one V8 lets the
// old generation grow to up to 4× what it left alive (a factor it derives from the heap limit,
// which Node sets from the machine's memory, not from anything the service needs). Under the
// API's load most of what reaches the old generation is request data still in flight at two
// scavenges (pages of up to 1000 tickets), dead soon after. On the mixed load of issue #11 the
// live heap is ~25 MB, and at 4× the old generation filled to ~100 MB of mostly garbage before
// each full collection: 60-75 MB of the server's peak RSS. At 1.5× it is collected at ~45 MB.
// That is ~1.5 full collections a second under that load instead of one in 3-5 s, yet less time
// in GC, not more (14 s of the bench's mixed load, 4 runs: full collections 0.2-0.27 s against
// 0.05, scavenges 0.6-0.75 s against 1.3-1.4 s: dead old objects that still point at young ones
// keep those alive through every scavenge until a full collection), and the same server CPU
// per request.
import v8 from 'node:v8'

const HEAP_GROWING_PERCENT = 50

/**
 * Sets V8's heap growing factor for this process (every thread), unless the node command line
 * sets one (`node --heap-growing-percent=N`). V8 reads it whenever a full collection sets the
 * next limit, so setting it as the server starts is early enough.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}
