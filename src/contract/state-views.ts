// The item and list schemas of the per-state collections, built from their definitions
// (domain/state-views.ts): the Ticket schema's own properties, plus the fields only these
// collections show. The `query` echo and the query parameters are the list endpoint's,
// restricted to the parameters these collections take.
import Type, { type TSchema } from 'typebox'
import { STATE_VIEWS, STATE_VIEW_FILTERS, type ExtraViewField, type StateView, type ViewField } from '../domain/state-views.js'
import { BATTERY_VOLTAGES } from './transitions.js'
import { CollectionSchema } from './collections.js'
import { TICKET_LIST_PARAMETERS } from './list-query-parameters.js'
import { AppliedQuerySchema } from './list-tickets.js'
import { Nullable, StringEnum } from './schema-helpers.js'
import { NO_NUL, TicketSchema } from './ticket.js'

const uuid = (description: string) => Type.String({ format: 'uuid', description })

const EXTRA_FIELDS: Record<ExtraViewField, TSchema> = {
  preparer_external_reference: Type.String({
    minLength: 0,
    maxLength: 255,
    pattern: NO_NUL,
    description: 'Reference added by whoever prepared the ticket, e.g. an ERP order number.',
  }),
  service_started_at: Type.String({
    format: 'date-time',
    description:
      'Date and time the current operator joined and started the service. Tickets loaded by the bulk import do not ' +
      'carry it: for those it is assigned_at (when the first operator joined).',
  }),
  vehicle_battery_voltage: Nullable(StringEnum(BATTERY_VOLTAGES, { description: 'The vehicle battery voltage: 12v or 24v.' })),
  outsource_provider_id: Nullable(
    uuid(
      'The partnered provider servicing the ticket. Null only for a ticket loaded by the bulk import as outsourced (no outsource record).',
    ),
  ),
  outsource_ticket_id: Nullable(
    uuid('The ticket at the partnered provider. Null only for a ticket loaded by the bulk import as outsourced (no outsource record).'),
  ),
  reclaimable: Type.Boolean({
    description:
      'Whether you can still reclaim the ticket (POST …/reclaim): true while the partner’s ticket is pending and no operator of the ' +
      'partner has ever joined it.',
  }),
}

const TICKET_PROPERTIES = TicketSchema.properties as Record<string, TSchema>

/** The same schema without `null` among its types. */
function nonNull(schema: TSchema): TSchema {
  const json = schema as unknown as { type?: unknown; enum?: unknown[] }
  if (!Array.isArray(json.type)) return schema
  const { type, enum: values, ...rest } = json as { type: string[]; enum?: unknown[] }
  const types = type.filter((t) => t !== 'null')
  return Type.Unsafe({
    ...rest,
    type: types.length === 1 ? types[0] : types,
    ...(values ? { enum: values.filter((v) => v !== null) } : {}),
  })
}

function fieldSchema(view: StateView, field: ViewField): TSchema {
  const schema = Object.hasOwn(EXTRA_FIELDS, field) ? EXTRA_FIELDS[field as ExtraViewField] : TICKET_PROPERTIES[field]!
  return view.required?.includes(field) ? nonNull(schema) : schema
}

export function stateViewItemSchema(view: StateView) {
  return Type.Object(Object.fromEntries(view.fields.map((field) => [field, fieldSchema(view, field)])), {
    additionalProperties: false,
    title: view.title,
    description: `A ticket in the ${view.state} state. ${view.summary}`,
  })
}

const PARAMETER_NAMES: readonly string[] = [...STATE_VIEW_FILTERS, 'limit', 'offset']

/** The `query` echo: the applied parameters, defaults included (the state is implied, not echoed). */
export const StateViewQuerySchema = Type.Object(
  Object.fromEntries(PARAMETER_NAMES.map((name) => [name, (AppliedQuerySchema.properties as Record<string, TSchema>)[name]!])),
  { additionalProperties: false, description: 'Applied query parameters, including defaults.' },
)

/** The query parameters, as the list endpoint documents them. */
export const STATE_VIEW_PARAMETERS = TICKET_LIST_PARAMETERS.filter((parameter) => PARAMETER_NAMES.includes(parameter.name))

export interface StateViewSchemas {
  item: ReturnType<typeof stateViewItemSchema>
  list: ReturnType<typeof CollectionSchema>
}

export const STATE_VIEW_SCHEMAS: ReadonlyMap<StateView, StateViewSchemas> = new Map(
  STATE_VIEWS.map((view) => {
    const item = stateViewItemSchema(view)
    return [view, { item, list: CollectionSchema(item, `${view.title}List`, StateViewQuerySchema) }]
  }),
)

/** Every item and list schema by its title, for the OpenAPI components. */
export const STATE_VIEW_COMPONENTS: Record<string, TSchema> = Object.fromEntries(
  [...STATE_VIEW_SCHEMAS.entries()].flatMap(([view, { item, list }]) => [
    [view.title, item],
    [`${view.title}List`, list],
  ]),
)
