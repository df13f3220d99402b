// What the readiness probe asks of the store: which kind it is, and whether it answers.

export type StoreKind = 'postgres' | 'embedded'

export interface StoreHealth {
  readonly kind: StoreKind
  /** Resolves when the database answers a trivial query; rejects with the driver's error. */
  ping(): Promise<void>
}
