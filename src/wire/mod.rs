//! Typed views over wire formats.
