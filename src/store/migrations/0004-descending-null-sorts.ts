// Sorting a nullable column descending with nulls last (the contract) cannot be read off an
// ascending index backwards (that gives nulls first): these indexes serve that order directly.
export const name = 'descending-null-sorts'

export const up = `
CREATE INDEX tickets_by_assigned_desc ON tickets (provider_id, assigned_at DESC NULLS LAST, id);
CREATE INDEX tickets_by_finished_desc ON tickets (provider_id, finished_at DESC NULLS LAST, id);
`
