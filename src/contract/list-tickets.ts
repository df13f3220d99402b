// The list endpoint's response shape. The `query` echo is derived from the field registry,
// so a filter added there appears in the echo, the OpenAPI document and the parser at once.
import Type, { type Static, type TSchema } from 'typebox'
import { FILTERS, FILTER_NAMES, PAGINATION, SORT_DIRECTIONS, SORT_FIELD_NAMES } from '../domain/ticket-fields.js'
import { Int64, Nullable } from './schema-helpers.js'
import { TicketSchema } from './ticket.js'

// Key order is meaningful (sort keys apply in the order given), so the shape is a map with
// constrained names rather than an object with fixed properties, which serializers reorder.
export const SortBySchema = Type.Unsafe<Record<string, 'asc' | 'desc'>>({
  type: 'object',
  propertyNames: { enum: [...SORT_FIELD_NAMES] },
  additionalProperties: { type: 'string', enum: [...SORT_DIRECTIONS] },
  minProperties: 1,
  default: { created_at: 'asc' },
  description: 'Sort keys in the order they apply. Nulls sort last; ties are broken by id ascending.',
})

const filterEchoes: Record<string, TSchema> = Object.fromEntries(FILTER_NAMES.map((name) => [name, Type.Optional(FILTERS[name].schema)]))

export const AppliedQuerySchema = Type.Object(
  {
    ...filterEchoes,
    limit: Type.Integer({
      format: 'int32',
      minimum: Number(PAGINATION.limit.min),
      maximum: Number(PAGINATION.limit.max),
      default: PAGINATION.limit.default,
      description: 'The applied limit.',
    }),
    offset: Int64({ minimum: 0, default: PAGINATION.offset.default, description: 'The applied offset.' }),
    sort_by: SortBySchema,
    after: Type.Optional(Type.String({ description: 'The applied cursor.' })),
  },
  { additionalProperties: false, description: 'Applied query parameters, including defaults.' },
)

export const TicketListSchema = Type.Object(
  {
    query: AppliedQuerySchema,
    result: Type.Array(TicketSchema, { description: 'The page of tickets.' }),
    total: Int64({ minimum: 0, description: 'Number of tickets matching the filters, ignoring limit, offset and after.' }),
    next: Nullable(
      Type.String({
        description:
          'Cursor for the next page: pass it as `after` with the same filters and sort_by. Null when this page is the last. ' +
          'Following cursors costs the same per page however deep the walk goes, unlike offset.',
      }),
    ),
  },
  { additionalProperties: false, title: 'TicketList' },
)
export type TicketList = Static<typeof TicketListSchema>
