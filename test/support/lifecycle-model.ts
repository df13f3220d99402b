// An in-memory model of the ticket lifecycle, written from the lifecycle issue's rules and
// independently of src/domain/lifecycle (nothing of it is imported): tickets of providers A and
// B (partners) and C (nobody's partner), the outsources between them, and each ticket's
// history. It takes the requests the API is sent (wire bodies) and answers with what the API
// must answer and how every ticket, outsource and history must look afterwards.
//
// Values the server chooses (a time, a fresh channel id) are symbols: the model cannot know
// them, only which of them must be equal. Every request has its own symbol for its time (all
// the times one request sets are the same instant), the comparison binds each symbol to the
// value the API shows and requires equal symbols to show equal values and different ones
// different values (see `Bindings`). The test's clock therefore steps on every call.
import { CUSTOMER_X, PROVIDER_A, PROVIDER_B, PROVIDER_C } from './fixtures.js'

export type Provider = 'A' | 'B' | 'C'
export const PROVIDER_IDS: Record<Provider, string> = { A: PROVIDER_A, B: PROVIDER_B, C: PROVIDER_C }
const providerNamed = (id: string): Provider | undefined =>
  (Object.keys(PROVIDER_IDS) as Provider[]).find((name) => PROVIDER_IDS[name] === id.toLowerCase())
/** Partnerships are symmetric; only A and B are partners. */
export const arePartners = (p: Provider, q: Provider) => (p === 'A' && q === 'B') || (p === 'B' && q === 'A')

export interface Sym {
  readonly sym: string
}
export type Val = string | number | boolean | null | Sym
export const isSym = (value: unknown): value is Sym => typeof value === 'object' && value !== null && 'sym' in value
const same = (a: Val, b: Val) => (isSym(a) && isSym(b) ? a.sym === b.sym : a === b)

export type State = 'prepared' | 'pending' | 'in_progress' | 'outsourced' | 'closed' | 'cancelled'

/** The fields an event's `changes` reports (when they differ), and a created event's set ones. */
export const EVENT_FIELDS = [
  'state',
  'assigned_at',
  'cancel_reason_id',
  'connection_id',
  'customer_channel_id',
  'customer_connector_id',
  'customer_id',
  'customer_reference',
  'external_reference',
  'externally_processed',
  'finished_at',
  'operator_channel_id',
  'operator_id',
  'operator_reference',
  'outsourced',
  'source_provider_id',
  'vehicle_model_id',
  'vin',
  'voucher_code',
  'preparer_external_reference',
  'service_started_at',
  'vehicle_battery_voltage',
] as const
/** The fields of a ticket as GET shows it that the model decides (id and ticket_number the test learns). */
export const WIRE_FIELDS = [
  'state',
  'assigned_at',
  'cancel_reason_id',
  'connection_id',
  'created_at',
  'customer_channel_id',
  'customer_connector_id',
  'customer_id',
  'customer_reference',
  'external_reference',
  'externally_processed',
  'finished_at',
  'operator_channel_id',
  'operator_id',
  'operator_reference',
  'outsourced',
  'source_provider_id',
  'updated_at',
  'vehicle_model_id',
  'vin',
  'voucher_code',
] as const
export type Field = (typeof EVENT_FIELDS)[number] | 'created_at' | 'updated_at'
export type Fields = Record<Field, Val>

export interface ModelEvent {
  type: string
  actor: 'client' | 'system'
  at: Sym
  /** The ticket's state after the change (the event's payload). */
  state: State
  changes: Record<string, { old: Val; new: Val }>
}

export interface ModelTicket {
  provider: Provider
  /** The pool index of the ticket this one was outsourced from (a partner's ticket). */
  parent: number | null
  fields: Fields
  history: ModelEvent[]
}

export type OutsourceState = 'pending' | 'in_progress' | 'closed' | 'cancelled'
export interface ModelOutsource {
  /** The provider that outsourced (whose GET /v2/tickets/outsources lists it). */
  owner: Provider
  origin: number
  partner: Provider
  partnerTicket: number
  state: OutsourceState
  assigned_at: Val
  cancel_reason_id: number | null
  created_at: Val
  finished_at: Val
  operator_channel_id: Val
}

/** The catalogue the migration seeds: which reasons a client may apply and which allow reopening. */
export const CANCEL_REASONS: Record<number, { manual: boolean; reopenable: boolean }> = {
  1: { manual: true, reopenable: true },
  2: { manual: true, reopenable: true },
  3: { manual: true, reopenable: false },
  4: { manual: true, reopenable: false },
  5: { manual: true, reopenable: true },
  6: { manual: true, reopenable: true },
  7: { manual: true, reopenable: false },
  8: { manual: true, reopenable: true },
  90: { manual: false, reopenable: false }, // reclaim
  91: { manual: false, reopenable: true }, // automatic
}
export const RECLAIM_REASON = 90

export type ActionName = 'submit' | 'join' | 'release' | 'close' | 'cancel' | 'reopen' | 'outsource' | 'reclaim'
/** The state machine: the states each action may be asked in, and where it leads. */
export const MOVES: Record<ActionName, { from: State[]; to: State; event: string }> = {
  submit: { from: ['prepared'], to: 'pending', event: 'tickets.ticket.submitted' },
  join: { from: ['pending'], to: 'in_progress', event: 'tickets.ticket.joined' },
  release: { from: ['in_progress'], to: 'pending', event: 'tickets.ticket.released' },
  close: { from: ['in_progress'], to: 'closed', event: 'tickets.ticket.closed' },
  cancel: { from: ['prepared', 'pending', 'in_progress'], to: 'cancelled', event: 'tickets.ticket.cancelled' },
  reopen: { from: ['cancelled'], to: 'pending', event: 'tickets.ticket.reopened' },
  outsource: { from: ['pending', 'in_progress'], to: 'outsourced', event: 'tickets.ticket.outsourced' },
  reclaim: { from: ['outsourced'], to: 'pending', event: 'tickets.ticket.reclaimed' },
}

/** Which ticket a command is about: a pool index (taken modulo the pool), or the ticket linked to it. */
export interface Target {
  /** -1: the ticket the previous step created or was about (so sequences dwell on one ticket and its twin). */
  ref: number
  /** linked: the ticket it was outsourced from, else the partner ticket of its latest outsource, else itself. */
  link: 'self' | 'linked'
}
/** Who sends it: the ticket's owner, or another provider (which must get 404). */
export type Sender = 'owner' | 'other'

export interface CreateCommand {
  kind: 'create'
  provider: Provider
  body: Record<string, unknown>
}
export interface ActCommand {
  kind: 'act'
  target: Target
  by: Sender
  action: ActionName
  /** undefined: no body at all. */
  body: Record<string, unknown> | undefined
}
export interface PatchCommand {
  kind: 'patch'
  target: Target
  by: Sender
  body: Record<string, unknown>
}
export type TicketCommand = ActCommand | PatchCommand
export interface PairCommand {
  kind: 'pair'
  first: TicketCommand
  second: TicketCommand
}
export type Command = CreateCommand | TicketCommand | PairCommand

/** What the API must answer: a status, the problem's code, or the ticket it answers with. */
export interface Outcome {
  status: number
  code?: string
  /** For 200/201: the pool index of the ticket in the body and its fields right after the request. */
  ticket?: number
  fields?: Fields
}

const fail = (status: number, code: string): Outcome => ({ status, code })
const otherThan = (provider: Provider): Provider => (provider === 'A' ? 'B' : 'A')

/** An event's `changes`: each field that differs, or for a new ticket each field that is set. */
function changesBetween(before: Fields | undefined, after: Fields): Record<string, { old: Val; new: Val }> {
  const changes: Record<string, { old: Val; new: Val }> = {}
  for (const field of EVENT_FIELDS) {
    const value = after[field]
    if (before === undefined) {
      // A new ticket's event lists what it was created with: every field that is set.
      if (value !== null && value !== '' && value !== false) changes[field] = { old: null, new: value }
    } else if (!same(before[field], value)) changes[field] = { old: before[field], new: value }
  }
  return changes
}

export class LifecycleModel {
  tickets: ModelTicket[] = []
  outsources: ModelOutsource[] = []

  clone(): LifecycleModel {
    const copy = new LifecycleModel()
    copy.tickets = structuredClone(this.tickets)
    copy.outsources = structuredClone(this.outsources)
    return copy
  }

  /** The pool index a target names now, or undefined while there is no ticket. */
  resolve(target: Target, previous?: number): number | undefined {
    if (this.tickets.length === 0) return undefined
    const index = target.ref < 0 ? (previous ?? this.tickets.length - 1) : target.ref % this.tickets.length
    if (target.link === 'self') return index
    const parent = this.tickets[index]!.parent
    if (parent !== null) return parent
    const latest = this.outsources.filter((o) => o.origin === index).at(-1)
    return latest ? latest.partnerTicket : index
  }

  senderOf(index: number, by: Sender): Provider {
    const owner = this.tickets[index]!.provider
    return by === 'owner' ? owner : otherThan(owner)
  }

  /** Applies one request, `op` naming it (its time symbol); `index` is the resolved target. */
  apply(command: CreateCommand | TicketCommand, op: string, index?: number): Outcome {
    if (command.kind === 'create') return this.create(command.provider, command.body, op)
    const sender = this.senderOf(index!, command.by)
    if (command.kind === 'patch') return this.patch(index!, sender, command.body, op)
    return this.act(index!, sender, command.action, command.body ?? {}, op)
  }

  private outcome(index: number, status = 200): Outcome {
    return { status, ticket: index, fields: { ...this.tickets[index]!.fields } }
  }

  private record(index: number, type: string, actor: 'client' | 'system', at: Sym, before: Fields | undefined) {
    const ticket = this.tickets[index]!
    ticket.history.push({ type, actor, at, state: ticket.fields.state as State, changes: changesBetween(before, ticket.fields) })
  }

  create(provider: Provider, body: Record<string, unknown>, op: string): Outcome {
    const state = (body.state as State | undefined) ?? 'pending'
    if (state === 'pending' && body.vin === undefined) return fail(400, 'invalid-body')
    const at: Sym = { sym: `t:${op}` }
    const fields: Fields = {
      state,
      assigned_at: null,
      cancel_reason_id: null,
      connection_id: null,
      created_at: at,
      // The customer's channel opens when the ticket reaches the customer (pending).
      customer_channel_id: state === 'pending' ? { sym: `customer-channel:${op}` } : null,
      customer_connector_id: null,
      customer_id: CUSTOMER_X,
      customer_reference: (body.customer_reference as string | undefined) ?? '',
      external_reference: '',
      externally_processed: false,
      finished_at: null,
      operator_channel_id: null,
      operator_id: null,
      operator_reference: '',
      outsourced: false,
      source_provider_id: PROVIDER_IDS[provider],
      updated_at: at,
      vehicle_model_id: body.vehicle_model_id as number,
      vin: (body.vin as string | undefined) ?? null,
      voucher_code: (body.voucher_code as string | undefined) ?? null,
      preparer_external_reference: '',
      service_started_at: null,
      vehicle_battery_voltage: null,
    }
    this.tickets.push({ provider, parent: null, fields, history: [] })
    const index = this.tickets.length - 1
    this.record(index, 'tickets.ticket.created', 'client', at, undefined)
    return this.outcome(index, 201)
  }

  patch(index: number, sender: Provider, body: Record<string, unknown>, op: string): Outcome {
    const ticket = this.tickets[index]!
    if (ticket.provider !== sender) return fail(404, 'ticket-not-found')
    const state = ticket.fields.state as State
    if ('vin' in body) {
      if (state !== 'prepared' && state !== 'pending') return fail(409, 'state-conflict')
      if (body.vin === null && state !== 'prepared') return fail(409, 'state-conflict')
    }
    // Every successful write is one event, even one that sets fields to the values they have.
    this.write(index, body as Partial<Fields>, 'tickets.ticket.updated', 'client', op)
    return this.outcome(index)
  }

  act(index: number, sender: Provider, action: ActionName, body: Record<string, unknown>, op: string): Outcome {
    const ticket = this.tickets[index]!
    if (ticket.provider !== sender) return fail(404, 'ticket-not-found')
    const f = ticket.fields
    const state = f.state as State
    if (!MOVES[action].from.includes(state)) return fail(409, 'transition-not-allowed')
    const at: Sym = { sym: `t:${op}` }
    const event = MOVES[action].event
    switch (action) {
      case 'submit': {
        if (f.vin === null && body.vin === undefined) return fail(400, 'invalid-body')
        const changes: Partial<Fields> = { state: 'pending', customer_channel_id: { sym: `customer-channel:${op}` } }
        if (body.vin !== undefined) changes.vin = body.vin as string
        this.write(index, changes, event, 'client', op)
        break
      }
      case 'join':
        this.write(
          index,
          {
            state: 'in_progress',
            operator_id: (body.operator_id as string).toLowerCase(),
            // The first operator's time; a later join after a release keeps it.
            assigned_at: f.assigned_at ?? at,
            service_started_at: at,
          },
          event,
          'client',
          op,
        )
        break
      case 'release':
        this.write(index, { state: 'pending' }, event, 'client', op)
        break
      case 'close': {
        const changes: Partial<Fields> = { state: 'closed', finished_at: at }
        if (body.operator_reference !== undefined) changes.operator_reference = body.operator_reference as string
        if (body.vehicle_battery_voltage !== undefined) changes.vehicle_battery_voltage = body.vehicle_battery_voltage as string
        this.write(index, changes, event, 'client', op)
        break
      }
      case 'cancel': {
        // The seed lets only a prepared ticket be without a VIN: such a ticket must get one first.
        if (f.vin === null) return fail(409, 'transition-not-allowed')
        const id = Number(body.cancel_reason_id)
        const reason = CANCEL_REASONS[id]
        if (!reason) return fail(422, 'unknown-cancel-reason')
        if (!reason.manual) return fail(422, 'cancel-reason-not-applicable')
        this.write(index, { state: 'cancelled', cancel_reason_id: id, finished_at: at }, event, 'client', op)
        break
      }
      case 'reopen': {
        const reason = CANCEL_REASONS[f.cancel_reason_id as number]
        if (!reason?.reopenable) return fail(409, 'transition-not-allowed')
        // A partner's ticket whose outsource ended is the outsourcing provider's to decide on.
        if (ticket.parent !== null) return fail(409, 'transition-not-allowed')
        this.write(index, { state: 'pending', cancel_reason_id: null, finished_at: null }, event, 'client', op)
        break
      }
      case 'outsource': {
        const partner = providerNamed(String(body.provider_id))
        if (partner === undefined || partner === ticket.provider || !arePartners(ticket.provider, partner))
          return fail(422, 'not-partnered')
        this.outsource(index, partner, op)
        break
      }
      case 'reclaim': {
        const outsource = this.activeOutsourceOf(index)
        const partnerTicket = outsource && this.tickets[outsource.partnerTicket]!
        // Only while the partner has not started: its ticket pending and nobody ever joined it.
        if (!outsource || partnerTicket!.fields.state !== 'pending' || outsource.assigned_at !== null)
          return fail(409, 'transition-not-allowed')
        // The partner's ticket is cancelled by the platform; the outsource ends as a reclaim.
        this.write(
          outsource.partnerTicket,
          { state: 'cancelled', cancel_reason_id: RECLAIM_REASON, finished_at: at },
          'tickets.ticket.cancelled',
          'system',
          op,
          false,
        )
        Object.assign(outsource, { state: 'cancelled', cancel_reason_id: RECLAIM_REASON, finished_at: at })
        this.write(index, { state: 'pending' }, event, 'client', op)
        break
      }
    }
    return this.outcome(index)
  }

  private outsource(index: number, partner: Provider, op: string): void {
    const origin = this.tickets[index]!
    const at: Sym = { sym: `t:${op}` }
    const channel: Sym = { sym: `operator-channel:${op}` }
    const fields: Fields = {
      state: 'pending',
      assigned_at: null,
      cancel_reason_id: null,
      connection_id: null,
      created_at: at,
      customer_channel_id: null,
      customer_connector_id: null,
      customer_id: origin.fields.customer_id,
      customer_reference: '',
      external_reference: '',
      externally_processed: false,
      finished_at: null,
      operator_channel_id: channel,
      operator_id: null,
      operator_reference: '',
      outsourced: false,
      source_provider_id: PROVIDER_IDS[origin.provider],
      updated_at: at,
      vehicle_model_id: origin.fields.vehicle_model_id,
      vin: origin.fields.vin,
      voucher_code: origin.fields.voucher_code,
      preparer_external_reference: '',
      service_started_at: null,
      vehicle_battery_voltage: null,
    }
    this.tickets.push({ provider: partner, parent: index, fields, history: [] })
    const partnerTicket = this.tickets.length - 1
    this.record(partnerTicket, 'tickets.ticket.created', 'system', at, undefined)
    this.outsources.push({
      owner: origin.provider,
      origin: index,
      partner,
      partnerTicket,
      state: 'pending',
      assigned_at: null,
      cancel_reason_id: null,
      created_at: at,
      finished_at: null,
      operator_channel_id: channel,
    })
    this.write(index, { state: 'outsourced', outsourced: true }, 'tickets.ticket.outsourced', 'client', op)
  }

  activeOutsourceOf(origin: number): ModelOutsource | undefined {
    return this.outsources.find((o) => o.origin === origin && (o.state === 'pending' || o.state === 'in_progress'))
  }

  /**
   * One change to one ticket and its event. A partner's ticket that changes state drives its
   * outsource and, when it finishes, the ticket it came from (unless the caller settles that).
   */
  private write(index: number, changes: Partial<Fields>, type: string, actor: 'client' | 'system', op: string, reflect = true): void {
    const ticket = this.tickets[index]!
    const before = { ...ticket.fields }
    const at: Sym = { sym: `t:${op}` }
    Object.assign(ticket.fields, changes, { updated_at: at })
    this.record(index, type, actor, at, before)
    if (reflect && ticket.parent !== null && before.state !== ticket.fields.state) this.reflect(index, op)
  }

  private reflect(partnerTicket: number, op: string): void {
    const outsource = this.outsources.find((o) => o.partnerTicket === partnerTicket && (o.state === 'pending' || o.state === 'in_progress'))
    if (!outsource) return
    const partner = this.tickets[partnerTicket]!.fields
    const origin = this.tickets[outsource.origin]!
    const at: Sym = { sym: `t:${op}` }
    switch (partner.state as State) {
      case 'in_progress':
        outsource.state = 'in_progress'
        outsource.assigned_at = outsource.assigned_at ?? partner.assigned_at
        return
      case 'pending':
        // Released (or reclaimed back from a further partner): waiting again, still started if joined once.
        outsource.state = 'pending'
        return
      case 'closed':
        Object.assign(outsource, { state: 'closed', finished_at: at })
        if (origin.fields.state === 'outsourced')
          this.write(outsource.origin, { state: 'closed', finished_at: at }, 'tickets.ticket.closed', 'system', op)
        return
      case 'cancelled':
        Object.assign(outsource, { state: 'cancelled', cancel_reason_id: partner.cancel_reason_id as number, finished_at: at })
        if (origin.fields.state === 'outsourced')
          this.write(outsource.origin, { state: 'pending' }, 'tickets.ticket.released', 'system', op)
        return
      default:
        // outsourced: the partner passed it on to its own partner; this outsource stays as it is.
        return
    }
  }
}

/**
 * Symbols bound to the values the API showed: each symbol to one value, different symbols to
 * different values. `fork` tries a comparison without committing to its bindings.
 */
export class Bindings {
  constructor(private readonly values = new Map<string, unknown>()) {}

  fork(): Bindings {
    return new Bindings(new Map(this.values))
  }

  /** Whether the API's `actual` can be the model's `expected` (binding symbols on the way). */
  match(expected: Val, actual: unknown): boolean {
    if (!isSym(expected)) return expected === actual
    if (actual === null || actual === undefined) return false
    const bound = this.values.get(expected.sym)
    if (bound !== undefined) return bound === actual
    for (const [sym, value] of this.values) if (value === actual && sym !== expected.sym) return false
    this.values.set(expected.sym, actual)
    return true
  }
}

/** A model value as text for a failure message. */
export const show = (value: Val) => (isSym(value) ? `<${value.sym}>` : JSON.stringify(value))
