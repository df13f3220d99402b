// The `{query, result, total}` envelope of the partner API's collections, for any item schema.
import Type, { type TSchema } from 'typebox'
import { Int64 } from './schema-helpers.js'

export function CollectionSchema<T extends TSchema>(item: T, title: string, query: TSchema) {
  return Type.Object(
    {
      query,
      result: Type.Array(item),
      total: Int64({ minimum: 0, description: 'Number of items matching the query, ignoring limit and offset.' }),
    },
    { additionalProperties: false, title },
  )
}
