//! Data, numeric and boolean expressions (ISC `parse_expression` family).
//!
//! UNFINISHED.
