// A prepared ticket may have no VIN yet, and a prepared ticket may be cancelled: so may a
// cancelled ticket (one cancelled while prepared). 0001's rule allowed a missing VIN only
// while prepared, which made cancelling such a ticket fail. Only loosens the rule: every
// stored row already satisfies it.
export const name = 'cancelled-without-vin'

export const up = /* sql */ `
ALTER TABLE tickets
  DROP CONSTRAINT tickets_vin_unless_prepared,
  ADD CONSTRAINT tickets_vin_unless_prepared CHECK (vin IS NOT NULL OR state IN ('prepared', 'cancelled'));
`
