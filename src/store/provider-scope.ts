// The tenancy key every ticket read and write carries (decided in src/domain/tickets.ts).

/** Every ticket read or write is confined to one provider. */
export interface ProviderScope {
  providerId: string
}
