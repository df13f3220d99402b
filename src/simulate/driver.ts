// runSimulation: plays a platform through the HTTP API with the typed client. Customers create
// tickets (some prepared, then submitted), operators join, release and close them (with the
// battery voltage), some are cancelled with a manual reason and some of those reopened, and
// with two partnered providers some are outsourced to the other, whose operators join and close
// or cancel them, unless the provider reclaims them first. Operations start at `rate` per
// second; the simulator keeps its own model of every ticket, so every answer is checked.
import { createTicketsClient, TICKET_ACTIONS, type CancelReason, type TicketsClient, type TicketState } from 'tickets-api-client'
import { movesOf, pick, type Move } from './choose.js'
import { people, type People } from './data.js'
import { emptyCounts, type SimulationCounts, type SimulationReport } from './report.js'
import { World, type Case, type Side, type SimTicket } from './world.js'

export interface SimulationCredentials {
  clientId: string
  clientSecret: string
}

export interface SimulationOptions {
  baseUrl: string
  /**
   * Clients with tickets:read and tickets:manage, of one provider or of two partnered ones
   * (each outsources to the other). Several clients of one provider share its operations in
   * turn, as a platform's several systems would: each client has its own rate limit.
   */
  credentials: readonly SimulationCredentials[]
  /** Operations started per second (default 20). */
  rate?: number
  /** Stop starting operations after this long (default: only `signal` stops the run). */
  durationMs?: number
  /** Stops the run: no operation starts after it fires, the ones in flight finish. */
  signal?: AbortSignal
  /** Called every `reportEveryMs` (default 2000) while the run lasts. */
  onReport?: (report: SimulationReport) => void
  reportEveryMs?: number
  /** Called with one line for every operation that failed. */
  onError?: (line: string) => void
  /** Operations in flight at most (default max(8, rate)); beyond it the run slows down rather than piling up. */
  maxInFlight?: number
  random?: () => number
  allowInsecureHttp?: boolean
}

export interface SimulationResult extends SimulationCounts {
  durationMs: number
  /** The first 20 error lines. */
  errorLines: string[]
}

/** The provider id a client acts for: the `pid` claim of its access token. */
async function providerOf(client: TicketsClient): Promise<string> {
  const { accessToken } = await client.token()
  const claims = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { pid?: unknown }
  if (typeof claims.pid !== 'string') throw new Error('the access token names no provider (pid)')
  return claims.pid
}

class UnexpectedState extends Error {
  override name = 'UnexpectedState'
}

function expectState(what: string, actual: TicketState, expected: TicketState): void {
  if (actual !== expected) throw new UnexpectedState(`${what}: the ticket is ${actual}, the simulation expected ${expected}`)
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const rate = options.rate ?? 20
  if (!(rate > 0)) throw new RangeError('rate must be positive')
  if (options.credentials.length < 1) throw new RangeError('credentials: at least one client')
  const random = options.random ?? Math.random
  const maxInFlight = options.maxInFlight ?? Math.max(8, Math.ceil(rate))
  const all = options.credentials.map((credentials) =>
    createTicketsClient({ baseUrl: options.baseUrl, ...credentials, allowInsecureHttp: options.allowInsecureHttp ?? false }),
  )
  // Side 0 is the first client's provider, side 1 the other one's (if any).
  const providers: string[] = []
  const sides: TicketsClient[][] = []
  for (const [index, provider] of (await Promise.all(all.map(providerOf))).entries()) {
    let side = providers.indexOf(provider)
    if (side < 0) {
      if (providers.length === 2) throw new RangeError('credentials: clients of one or two providers')
      side = providers.push(provider) - 1
      sides.push([])
    }
    sides[side]!.push(all[index]!)
  }
  const canOutsource = providers.length === 2
  const reasons: CancelReason[] = []
  for await (const reason of all[0]!.cancelReasons.iterate()) if (reason.manually_applicable) reasons.push(reason)
  if (reasons.length === 0) throw new Error('the cancel-reason catalogue has no manually applicable reason')

  const data: People = people(random)
  const world = new World()
  const counts = emptyCounts()
  const errorLines: string[] = []
  const targetOpen = Math.min(300, Math.max(10, Math.round(rate * 3)))
  const turns: [number, number] = [0, 0]
  const clientOf = (side: Side) => {
    const pool = sides[side]!
    return pool[turns[side]++ % pool.length]!
  }

  async function create(): Promise<void> {
    const side: Side = canOutsource && random() < 0.5 ? 1 : 0
    const prepared = random() < 0.25
    const hasVin = !prepared || random() < 0.5
    const { ticket } = await clientOf(side).tickets.create({
      ...(prepared ? { state: 'prepared' as const } : {}),
      customer_id: data.customer(),
      vehicle_model_id: data.model(),
      ...(hasVin ? { vin: data.vin() } : {}),
      ...(random() < 0.2 ? { customer_reference: `C-${Math.floor(random() * 1e6)}` } : {}),
    })
    counts.requests++
    expectState(`create ${ticket.id}`, ticket.state, prepared ? 'prepared' : 'pending')
    world.add({ id: ticket.id, side, state: ticket.state, started: false, hasVin })
    counts.byAction.create++
  }

  /** Finds the partner's ticket of an outsource that just happened. */
  async function partnerTicketOf(origin: SimTicket): Promise<SimTicket> {
    const other: Side = origin.side === 0 ? 1 : 0
    const outsources = await clientOf(origin.side).outsources.list({ ticket_id: origin.id, state: 'pending' })
    const outsource = outsources.result[outsources.result.length - 1]
    if (!outsource) throw new UnexpectedState(`outsource ${origin.id}: no pending outsource is listed`)
    const found = await clientOf(other).tickets.list({ ticket_number: outsource.ticket_number, limit: 1 })
    counts.requests += 2
    const ticket = found.result[0]
    if (!ticket) throw new UnexpectedState(`outsource ${origin.id}: the partner has no ticket ${outsource.ticket_number}`)
    expectState(`outsource ${origin.id} (partner's ticket)`, ticket.state, 'pending')
    return { id: ticket.id, side: other, state: 'pending', started: false, hasVin: true }
  }

  /** What the partner did to its ticket shows on the origin: checked with one read. */
  async function expectOrigin(entry: Case, state: TicketState): Promise<void> {
    const ticket = await clientOf(entry.origin.side).tickets.get(entry.origin.id)
    counts.requests++
    expectState(`origin ${entry.origin.id} after the partner's change`, ticket.state, state)
    entry.origin.state = state
  }

  async function act(entry: Case, move: Move): Promise<void> {
    const ticket = move.on === 'origin' ? entry.origin : entry.partner!
    const tickets = clientOf(ticket.side).tickets
    const expected = TICKET_ACTIONS[move.action].to
    let reopenable = false
    let answer
    switch (move.action) {
      case 'submit':
        answer = await tickets.submit(ticket.id, { vin: data.vin() })
        break
      case 'join':
        answer = await tickets.join(ticket.id, { operator_id: data.operator(ticket.side) })
        break
      case 'release':
        answer = await tickets.release(ticket.id)
        break
      case 'close':
        answer = await tickets.close(ticket.id, {
          vehicle_battery_voltage: random() < 0.85 ? '12v' : '24v',
          ...(random() < 0.3 ? { operator_reference: `OP-${Math.floor(random() * 1e6)}` } : {}),
        })
        break
      case 'cancel': {
        const reason = data.pickOne(reasons)
        reopenable = reason.allows_ticket_reopening && random() < 0.4
        answer = await tickets.cancel(ticket.id, { cancel_reason_id: reason.id })
        break
      }
      case 'reopen':
        answer = await tickets.reopen(ticket.id)
        break
      case 'outsource':
        answer = await tickets.outsource(ticket.id, { provider_id: providers[ticket.side === 0 ? 1 : 0]! })
        break
      case 'reclaim':
        answer = await tickets.reclaim(ticket.id)
        break
    }
    counts.requests++
    expectState(`${move.action} ${ticket.id}`, answer.ticket.state, expected)
    ticket.state = expected
    if (move.action === 'submit') ticket.hasVin = true
    counts.byAction[move.action]++

    if (move.on === 'partner') {
      if (move.action === 'join') ticket.started = true
      if (move.action === 'close') {
        await expectOrigin(entry, 'closed')
        world.retire(entry)
      }
      if (move.action === 'cancel') {
        // A partner's cancel hands the ticket back: the origin is pending again.
        entry.partner = undefined
        await expectOrigin(entry, 'pending')
      }
      return
    }
    if (move.action === 'outsource') entry.partner = await partnerTicketOf(ticket)
    if (move.action === 'reclaim') entry.partner = undefined
    if (move.action === 'close' || (move.action === 'cancel' && !reopenable)) world.retire(entry)
    entry.reopenable = move.action === 'cancel' && reopenable
  }

  /** The next operation: a new ticket, or a move on an idle case. */
  function nextOperation(): { name: string; run: () => Promise<void>; entry?: Case } {
    const wantCreate = random() < (world.size < targetOpen ? 0.5 : 0.05)
    if (!wantCreate)
      for (const entry of world.idle(random, 5)) {
        const move = pick(movesOf(entry, canOutsource), random)
        if (move)
          return { name: `${move.action} ${(move.on === 'origin' ? entry.origin : entry.partner!).id}`, run: () => act(entry, move), entry }
      }
    return { name: 'create', run: create }
  }

  const inFlight = new Set<Promise<void>>()
  function launch(): void {
    const operation = nextOperation()
    if (operation.entry) operation.entry.busy = true
    const running = operation
      .run()
      .catch((error: unknown) => {
        counts.errors++
        // The model of this case can no longer be trusted: stop moving it.
        if (operation.entry) world.retire(operation.entry)
        const line = `${operation.name}: ${error instanceof Error ? error.message : String(error)}`
        if (errorLines.length < 20) errorLines.push(line)
        options.onError?.(line)
      })
      .finally(() => {
        counts.ops++
        if (operation.entry) operation.entry.busy = false
        inFlight.delete(running)
      })
    inFlight.add(running)
  }

  const startedAt = Date.now()
  const elapsed = () => Date.now() - startedAt
  const stopping = () => options.signal?.aborted === true || (options.durationMs !== undefined && elapsed() >= options.durationMs)
  const reportEveryMs = options.reportEveryMs ?? 2000
  let lastReport = { at: 0, ops: 0 }
  const report = (): SimulationReport => {
    const at = elapsed()
    const opsPerSecond = at > lastReport.at ? ((counts.ops - lastReport.ops) * 1000) / (at - lastReport.at) : 0
    lastReport = { at, ops: counts.ops }
    return { ...counts, byAction: { ...counts.byAction }, elapsedMs: at, opsPerSecond, inFlight: inFlight.size, open: world.size }
  }
  const reporter = options.onReport ? setInterval(() => options.onReport!(report()), reportEveryMs) : undefined

  let started = 0
  try {
    while (!stopping()) {
      const due = Math.floor((elapsed() * rate) / 1000) + 1
      while (started < due && inFlight.size < maxInFlight) {
        started++
        launch()
      }
      // Behind and at the in-flight limit: the server sets the pace; skip what is overdue.
      if (started < due) started = due
      const nextDue = (started * 1000) / rate - elapsed()
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(50, nextDue))))
    }
    await Promise.all(inFlight)
  } finally {
    if (reporter) clearInterval(reporter)
  }
  return { ...counts, durationMs: elapsed(), errorLines }
}
