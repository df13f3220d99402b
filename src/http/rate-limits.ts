// Request-rate limits: per API client on /v2, per client id and per source address on the
// token endpoint. @fastify/rate-limit counts (in this process, or in Redis shared by every
// process); this file decides the keys and speaks the IETF draft's fields
// (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "client";q=3000;w=60` names each
// quota and `RateLimit: "client";r=2999;t=60` says what is left of it and when it resets.
// A request over a limit is a 429 `rate-limited` problem with Retry-After.
import rateLimitPlugin from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import { AppError } from '../errors/app-error.js'

/** Requests per window, per key; 0 turns a limit off (load tests). */
export interface RateLimitSettings {
  perClient: number
  tokenPerClient: number
  tokenPerAddress: number
  /** Count in Redis (shared by every process) instead of in this process. */
  redisUrl?: string | undefined
  /** The window every limit counts over. */
  windowMs?: number
}

export const RATE_LIMITS_OFF: RateLimitSettings = { perClient: 0, tokenPerClient: 0, tokenPerAddress: 0 }

const REDIS_READY_WAIT_MS = 2_000
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

type Policy = 'client' | 'token-client' | 'token-address'

declare module 'fastify' {
  interface FastifyRequest {
    /** The key the limiter being applied counts against (read by its keyGenerator). */
    rateLimitKey?: string
  }
}

type Check = (
  request: FastifyRequest,
) => Promise<{ isAllowed: true } | { isAllowed: false; remaining: number; ttlInSeconds: number; isExceeded: boolean }>

export interface RateLimits {
  /** Counts one request against `key` under `policy`; sets the fields; throws 429 when over. */
  admit(policy: Policy, key: string, request: FastifyRequest, reply: FastifyReply): Promise<void>
  close(): Promise<void>
}

/** Registers the counting plugin on `app` and returns the limiter; `onRefused` feeds metrics. */
export async function registerRateLimits(
  app: FastifyInstance,
  settings: RateLimitSettings,
  onRefused: (policy: Policy) => void = () => {},
): Promise<RateLimits> {
  const windowMs = settings.windowMs ?? 60_000
  // Redis trouble must never hold a request: no offline queue, a short command timeout, and
  // the plugin's skipOnError lets requests through uncounted while Redis is away.
  const redis = settings.redisUrl
    ? new Redis(settings.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500, lazyConnect: false })
    : undefined
  redis?.on('error', (error) => app.log.warn({ err: error }, 'rate-limit store (Redis) error; counting is paused'))
  // Without an offline queue, commands sent before the connection is up fail (uncounted):
  // give it a moment at start, but never hold the start-up for an unreachable Redis.
  if (redis) await Promise.race([new Promise((resolve) => redis.once('ready', resolve)), sleep(REDIS_READY_WAIT_MS)])
  await app.register(rateLimitPlugin, {
    global: false,
    skipOnError: true,
    // Enough entries that a flood of made-up keys cannot evict the real ones' counters.
    cache: 100_000,
    nameSpace: 'tickets-rate-',
    ...(redis ? { redis } : {}),
  })
  const limits: Record<Policy, number> = {
    client: settings.perClient,
    'token-client': settings.tokenPerClient,
    'token-address': settings.tokenPerAddress,
  }
  const checks = new Map<Policy, Check>()
  for (const policy of Object.keys(limits) as Policy[]) {
    if (limits[policy] === 0) continue
    checks.set(
      policy,
      app.createRateLimit({
        max: limits[policy],
        timeWindow: windowMs,
        keyGenerator: (request) => `${policy}:${request.rateLimitKey}`,
      }) as Check,
    )
  }
  const windowSeconds = Math.ceil(windowMs / 1000)

  return {
    async admit(policy, key, request, reply) {
      const check = checks.get(policy)
      if (!check) return
      request.rateLimitKey = key
      const result = await check(request)
      if (result.isAllowed) return
      appendField(reply, 'ratelimit-policy', `"${policy}";q=${limits[policy]};w=${windowSeconds}`)
      appendField(reply, 'ratelimit', `"${policy}";r=${result.remaining};t=${result.ttlInSeconds}`)
      if (result.isExceeded) {
        onRefused(policy)
        throw new AppError('rate-limited', refusal(policy, limits[policy], windowSeconds, result.ttlInSeconds), {
          headers: { 'retry-after': String(Math.max(1, result.ttlInSeconds)) },
        })
      }
    },
    async close() {
      redis?.disconnect()
    },
  }
}

function refusal(policy: Policy, max: number, windowSeconds: number, retryAfter: number): string {
  const whose = { client: 'This API client', 'token-client': 'This client id', 'token-address': 'This address' }[policy]
  const what = policy === 'client' ? 'requests' : 'token requests'
  return `${whose} sent more than ${max} ${what} in ${windowSeconds} s; retry in ${Math.max(1, retryAfter)} s.`
}

/** Both fields are structured-field lists: several limits on one request add list members. */
function appendField(reply: FastifyReply, name: string, member: string): void {
  const current = reply.getHeader(name)
  reply.header(name, current === undefined ? member : `${String(current)}, ${member}`)
}
