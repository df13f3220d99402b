// The webhook dispatcher: claims due endpoints from the store and serves each one
// (deliver-endpoint.ts), up to `concurrency` endpoints at once. All its state is in the
// database, so a restart loses nothing and several processes share the work (see
// webhook-dispatch-sql.ts). It looks for due work when woken (wake(), which the event hub
// calls when events are committed), after each endpoint's turn, and every `pollIntervalMs`
// (retries come due by time, and events may become visible only once an older transaction ends).
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { EventFeedStore } from '../store/event-feed.js'
import type { WebhookDeliveryStore } from '../store/webhook-store.js'
import { deliverToEndpoint, type DeliveryContext, type DispatchLog } from './deliver-endpoint.js'
import { WebhookSender } from './sender.js'
import type { ResolveHost } from './url-policy.js'

export interface WebhookDispatcherOptions {
  store: WebhookDeliveryStore & Pick<EventFeedStore, 'readFeed'>
  /** TICKETS_WEBHOOKS_ALLOW_PRIVATE: deliver to private addresses and over plain http. */
  allowPrivate: boolean
  /** TICKETS_KEY_ENCRYPTION_KEY, to read encrypted endpoint secrets. */
  encryptionKey?: Buffer | undefined
  /** The resolver connections use; the system's by default. */
  resolve?: ResolveHost
  /** The time every schedule and lease is computed from (tests move it). */
  clock?: () => Date
  /** Jitter source, 0..1 (tests pin it). */
  random?: () => number
  /** Endpoints served at once (default 16). */
  concurrency?: number
  /** How often to look for due work without being woken (default 1 s; 0: never). */
  pollIntervalMs?: number
  /** Per attempt (default 15 s). */
  timeoutMs?: number
  /** How long a claim holds an endpoint without news (default 60 s: well above one attempt's timeout). */
  leaseMs?: number
  /** Feed events read per turn (default 50). */
  batchSize?: number
  /** Names this process in leases (default host:pid:random). */
  owner?: string
  log?: DispatchLog
}

/** How long the delivery log is kept. */
export const DELIVERY_LOG_DAYS = 30
const PRUNE_EVERY_MS = 3_600_000
/** The shortest time between two looks for due work. */
const MIN_CYCLE_GAP_MS = 20
const SILENT: DispatchLog = { warn: () => undefined, error: () => undefined }

export class WebhookDispatcher {
  readonly #options: WebhookDispatcherOptions
  readonly #context: DeliveryContext
  readonly #owner: string
  readonly #concurrency: number
  readonly #running = new Set<Promise<void>>()
  #cycling: Promise<void> | undefined
  #again = false
  #claimedLast = -1
  #stopped = false
  #timer: NodeJS.Timeout | undefined
  #lastPrune = Number.NEGATIVE_INFINITY
  #lastCycleAt = Number.NEGATIVE_INFINITY

  constructor(options: WebhookDispatcherOptions) {
    this.#options = options
    this.#owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
    this.#concurrency = options.concurrency ?? 16
    this.#context = {
      store: options.store,
      sender: new WebhookSender({
        allowPrivate: options.allowPrivate,
        ...(options.resolve ? { resolve: options.resolve } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      }),
      clock: options.clock ?? (() => new Date()),
      random: options.random ?? Math.random,
      encryptionKey: options.encryptionKey,
      leaseMs: options.leaseMs ?? 60_000,
      batchSize: options.batchSize ?? 50,
      isStopping: () => this.#stopped,
      log: options.log ?? SILENT,
    }
  }

  /** Starts the periodic look for due work, and looks once now. */
  start(): void {
    if (this.#stopped || this.#timer) return
    const every = this.#options.pollIntervalMs ?? 1_000
    if (every > 0) {
      this.#timer = setInterval(() => this.wake(), every)
      this.#timer.unref()
    }
    this.wake()
  }

  /**
   * Looks for due work now (coalesced: a look already running looks once more when it ends, and
   * looks start at least MIN_CYCLE_GAP_MS apart: every commit wakes the dispatcher, and under a
   * steady flow of commits back-to-back claim queries would compete with the API for connections).
   */
  wake(): void {
    if (this.#stopped) return
    if (this.#cycling) {
      this.#again = true
      return
    }
    const gap = this.#lastCycleAt + MIN_CYCLE_GAP_MS - performance.now()
    const start = gap > 0 ? new Promise((resolve) => setTimeout(resolve, gap)) : Promise.resolve()
    this.#cycling = start.then(() => {
      this.#lastCycleAt = performance.now()
      return this.#cycle()
    })
    this.#cycling = this.#cycling.finally(() => {
      this.#cycling = undefined
      if (this.#again) {
        this.#again = false
        this.wake()
      }
    })
  }

  /**
   * Stops claiming; endpoints being served finish their current attempt, record it and give
   * their lease back. Resolves when they have (at most one attempt's timeout).
   */
  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#idle()
    this.#context.sender.close()
  }

  /** Resolves once nothing is being served and a fresh look found nothing due (tests use it). */
  async settle(): Promise<void> {
    for (;;) {
      await this.#idle()
      if (this.#stopped) return
      this.#claimedLast = -1
      this.wake()
      await this.#idle()
      if (this.#claimedLast === 0) return
    }
  }

  async #idle(): Promise<void> {
    while (this.#cycling || this.#running.size > 0) await Promise.allSettled([this.#cycling, ...this.#running])
  }

  async #cycle(): Promise<void> {
    if (this.#stopped) return
    const free = this.#concurrency - this.#running.size
    if (free <= 0) return
    const { store, clock, log } = this.#context
    try {
      await this.#pruneNow(clock())
      const claims = await store.claimWebhookEndpoints({
        owner: this.#owner,
        now: clock(),
        leaseMs: this.#context.leaseMs,
        limit: free,
      })
      this.#claimedLast = claims.length
      for (const claim of claims) {
        const turn: Promise<void> = deliverToEndpoint(this.#context, claim)
          .then(() => undefined)
          .catch((error: unknown) => {
            // The lease runs out by itself and another turn starts over from the stored state.
            log.error({ err: error, endpointId: claim.endpoint.id }, 'webhook delivery turn failed')
          })
          .finally(() => {
            this.#running.delete(turn)
            this.wake()
          })
        this.#running.add(turn)
      }
      // Every slot filled: more may be due.
      if (claims.length === free) this.#again = true
    } catch (error) {
      this.#claimedLast = 0
      log.error({ err: error }, 'looking for due webhook deliveries failed; trying again at the next wake-up')
    }
  }

  async #pruneNow(now: Date): Promise<void> {
    if (now.getTime() - this.#lastPrune < PRUNE_EVERY_MS) return
    this.#lastPrune = now.getTime()
    await this.#context.store.pruneWebhookDeliveries(new Date(now.getTime() - DELIVERY_LOG_DAYS * 86_400_000))
  }
}
