// The list endpoint's query parameters as OpenAPI parameter objects. The endpoint parses its
// query string itself (duplicates, order, brackets), so there is no querystring schema: the
// filters come from the field registry that drives the parser, the rest from its pagination
// and sort settings. Schemas are TypeBox's; the document builder turns them into JSON.
import { EMPTY_VALUE_ALLOWED, FILTERS, FILTER_NAMES, PAGINATION, SORT_FIELD_NAMES, type FilterDef } from '../domain/ticket-fields.js'
import { SortBySchema } from './list-tickets.js'

const filterParameters = FILTER_NAMES.map((name) => {
  const def: FilterDef = FILTERS[name]
  return {
    name,
    in: 'query' as const,
    description: def.description,
    schema: def.schema,
    ...(def.list ? { style: 'form', explode: false } : {}),
    ...(def.example ? { example: def.list ? def.example.split(',') : def.example } : {}),
    ...(EMPTY_VALUE_ALLOWED.has(name) ? { allowEmptyValue: true } : {}),
  }
})

export const TICKET_LIST_PARAMETERS = [
  ...filterParameters,
  {
    name: 'limit',
    in: 'query' as const,
    description: 'Maximum number of tickets in the result (0 returns only the total).',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: Number(PAGINATION.limit.max), default: PAGINATION.limit.default },
  },
  {
    name: 'offset',
    in: 'query' as const,
    description: 'Number of matching tickets to skip.',
    schema: { type: 'integer', format: 'int64', minimum: 0, default: 0 },
  },
  {
    name: 'after',
    in: 'query' as const,
    description:
      'Cursor from the `next` member of the previous page: only tickets after it in the sort order. Keep the same ' +
      'filters and sort_by while following cursors; each page then costs the same however deep the walk goes.',
    schema: { type: 'string' },
  },
  {
    name: 'sort_by',
    in: 'query' as const,
    style: 'deepObject',
    explode: true,
    description:
      `Sort keys as sort_by[<field>]=asc|desc, applied in the order given; fields: ${SORT_FIELD_NAMES.join(', ')}. ` +
      'Nulls sort last in both directions; id ascending breaks ties. Default: sort_by[created_at]=asc.',
    schema: SortBySchema,
    example: { created_at: 'desc' },
  },
]
