//! Tests of the lease file as a whole: round trips, ISC layouts, seeds, damage.
