// Reading the per-state collections (domain/state-views.ts): tickets of one state, each as that
// state's item (a plain object in wire form, with the fields the view names, in its order).
import type { StateView } from '../domain/state-views.js'
import type { TicketQuery } from '../domain/ticket-query.js'
import type { ProviderScope } from './provider-scope.js'

export type StateViewItem = Record<string, unknown>

export interface StateViewStore {
  /**
   * A page of the view, ordered by created_at then id. `query` carries the view's own filters;
   * the view's state is added here. `total` is exact (from the counter tables where it can be).
   */
  listStateView(scope: ProviderScope, view: StateView, query: TicketQuery): Promise<{ result: StateViewItem[]; total: number }>
  /** The ticket as the view's item; undefined unless it is the provider's and in the view's state. */
  getStateViewItem(scope: ProviderScope, view: StateView, id: string): Promise<StateViewItem | undefined>
}
