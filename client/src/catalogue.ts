// Beside the tickets: the cancel-reason catalogue and your provider's outsources. Both are
// offset-paged collections `{ query, result, total }`; `iterate` walks every page.
import { OPERATIONS, type CancelReason, type CancelReasonList, type Outsource, type OutsourceList } from './api-types.js'
import { asCollection, shapeError, type Sender } from './lifecycle.js'
import { encodeListQuery } from './query.js'
import { errorOf, type HttpResponse } from './transport.js'

export interface PageParams {
  /** 0..1000 (the server's default is 25). */
  limit?: number
  offset?: number
}

export interface PageCallOptions {
  signal?: AbortSignal
}

export interface OutsourceFilter {
  /** Only outsources of this ticket of yours. */
  ticket_id?: string
  state?: Outsource['state']
  /** Only outsources to this partner. */
  provider_id?: string
}

function asOne<T>(response: HttpResponse, expected: string): T {
  const body = response.body
  const id = (body as { id?: unknown } | null)?.id
  if (!response.json || typeof body !== 'object' || body === null || (typeof id !== 'string' && typeof id !== 'number'))
    throw shapeError(response, expected, 'the body is not an object with an id')
  return body as T
}

/** An offset-paged collection with list, get and iterate. */
class PagedResource<Item, List extends { result: Item[]; total: number }, Filter extends object> {
  constructor(
    private readonly sender: Sender,
    private readonly path: string,
    private readonly itemPath: (id: string) => string,
    private readonly names: { list: string; item: string },
  ) {}

  async list(params: Filter & PageParams = {} as Filter & PageParams, options: PageCallOptions = {}): Promise<List> {
    const query = encodeListQuery(params as Record<string, unknown>)
    const response = await this.sender.send({ method: 'GET', path: this.path + (query ? `?${query}` : ''), signal: options.signal })
    if (response.status !== 200) throw errorOf(response, this.sender.transport.clock)
    return asCollection<List>(response, this.names.list, true)
  }

  async get(id: string | number, options: PageCallOptions = {}): Promise<Item> {
    const response = await this.sender.send({ method: 'GET', path: this.itemPath(encodeURIComponent(String(id))), signal: options.signal })
    if (response.status !== 200) throw errorOf(response, this.sender.transport.clock)
    return asOne<Item>(response, this.names.item)
  }

  async *iterate(
    filter: Filter = {} as Filter,
    options: PageCallOptions & { pageSize?: number } = {},
  ): AsyncGenerator<Item, void, undefined> {
    const pageSize = options.pageSize ?? 100
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new RangeError('pageSize must be an integer from 1 to 1000')
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.list({ ...filter, limit: pageSize, offset }, options)
      yield* page.result
      if (page.result.length < pageSize || offset + page.result.length >= page.total) return
    }
  }
}

/** GET /v2/tickets/cancel-reasons: what `cancel` may name (`manually_applicable`) and what `reopen` depends on. */
export class CancelReasonsResource extends PagedResource<CancelReason, CancelReasonList, Record<never, never>> {
  constructor(sender: Sender) {
    super(sender, OPERATIONS.listCancelReasons.path, (id) => OPERATIONS.getCancelReason.path.replace('{cancel-reason-id}', id), {
      list: 'CancelReasonList',
      item: 'CancelReason',
    })
  }
}

/** GET /v2/tickets/outsources: the tickets your provider outsourced, each following the partner's ticket. */
export class OutsourcesResource extends PagedResource<Outsource, OutsourceList, OutsourceFilter> {
  constructor(sender: Sender) {
    super(sender, OPERATIONS.listOutsources.path, (id) => OPERATIONS.getOutsource.path.replace('{outsource-id}', id), {
      list: 'OutsourceList',
      item: 'Outsource',
    })
  }
}
