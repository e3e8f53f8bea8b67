//! Byte-level checks (to come).
