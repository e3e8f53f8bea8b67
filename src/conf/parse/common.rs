//! Small shared pieces of the grammar: addresses, numbers, hex strings,
//! hardware addresses, dates, lease times.
//!
//! UNFINISHED.
