// Small TypeBox builders shared by the wire schemas. Nullable fields are written as
// `type: [X, 'null']` rather than anyOf, because the compiled serializer handles the
// former several times faster (see stack-notes §5) and it reads better in OpenAPI 3.1.
import Type, { type TSchema, type Static } from 'typebox'

export function Nullable<T extends TSchema>(schema: T) {
  const { type, ...rest } = schema as unknown as { type: string; enum?: unknown[] }
  const nullable: Record<string, unknown> = { ...rest, type: [type, 'null'] }
  if (Array.isArray(rest.enum)) nullable.enum = [...rest.enum, null]
  return Type.Unsafe<Static<T> | null>(nullable)
}

/** An enum of string literals as one `enum` keyword (not an anyOf of consts). */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/**
 * int64 on the wire: a JSON integer. In memory it is a number when it fits in a double
 * exactly and a bigint otherwise; the serializer prints both as plain integers.
 */
export function Int64(options: Record<string, unknown> = {}) {
  return Type.Unsafe<number | bigint>({ type: 'integer', format: 'int64', ...options })
}
