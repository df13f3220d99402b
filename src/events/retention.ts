// The retention purge: events older than TICKETS_EVENT_RETENTION_DAYS are deleted when the
// server starts and every hour after, in bounded batches so that no statement outlasts the
// statement timeout or holds the embedded store's one session for long. The feed answers an
// `after_id` older than the same cutoff with 410 events-expired, whether or not the purge has
// reached it yet, so consumers see one rule.
import type { EventFeedStore } from '../store/event-feed.js'

const DAY_MS = 86_400_000
const INTERVAL_MS = 3_600_000
const BATCH = 10_000

/** The oldest instant whose events are kept. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS)
}

export interface RetentionPurge {
  /** Resolves with the count purged by the run in progress (or a new run). */
  runNow(): Promise<number>
  stop(): Promise<void>
}

export function startRetentionPurge(options: {
  store: Pick<EventFeedStore, 'purgeEventsBefore'>
  days: number
  clock?: () => Date
  intervalMs?: number
  log: { info(fields: object, message: string): void; warn(fields: object, message: string): void }
}): RetentionPurge {
  const clock = options.clock ?? (() => new Date())
  let stopped = false
  let running: Promise<number> | undefined

  const purge = async (): Promise<number> => {
    const cutoff = retentionCutoff(clock(), options.days)
    let purged = 0
    for (;;) {
      const deleted = await options.store.purgeEventsBefore(cutoff, BATCH)
      purged += deleted
      if (deleted < BATCH || stopped) break
    }
    options.log.info({ purged, cutoff: cutoff.toISOString() }, `event retention: purged ${purged} events older than ${options.days} days`)
    return purged
  }
  const runNow = (): Promise<number> => {
    running ??= purge()
      .catch((error: unknown) => {
        options.log.warn({ err: error }, 'event retention purge failed; the next run tries again')
        return 0
      })
      .finally(() => (running = undefined))
    return running
  }

  void runNow()
  const timer = setInterval(() => void runNow(), options.intervalMs ?? INTERVAL_MS)
  // The purge never keeps a finished server alive.
  timer.unref()
  return {
    runNow,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
