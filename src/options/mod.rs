//! The one DHCP option table: ISC's option spaces, names, codes and formats.
//!
//! ISC dhcpd decides everything about an option from one definition: its
//! space (ISC: universe), code, name and format string. The dhcpd.conf
//! parser type-checks `option NAME value;` with it, the wire codec encodes
//! and decodes with it, and the lease file and OMAPI print and read option
//! values with it. This module is that definition, shared by all of them:
//!
//! * [`table`] — ISC 4.4.3's built-in spaces and options, as static data
//!   copied from ISC's tables: the DHCPv4 ones, and the DHCPv6 ones that
//!   `dhcpd -4` also knows (dhcpd.conf may set them; they never go on a
//!   DHCPv4 wire, see [`SpaceEncoding::Dhcpv6`]).
//! * [`format`](mod@format) — ISC format strings (`"IA"`, `"fto"`, `"Dc"`, ...) parsed
//!   into typed [`OptionFormat`] descriptors.
//! * [`enums`] — the named enumerations `N` atoms refer to.
//! * [`space`] — what a space is: code/length widths, storage, encoding.
//! * [`OptionCatalog`] — the runtime table: loaded from [`table`], then
//!   extended by `option space ...;` and `option NAME code N = TYPE;`,
//!   looked up by (space, name) and (space, code) with ISC's rules.
//!
//! Everything here is pure: no IO, no clock, no global state.

mod catalog;
pub mod enums;
pub mod format;
pub mod space;
pub mod table;

#[cfg(test)]
mod tests;

pub use catalog::{
    DefineError, LookupError, OptionCatalog, OptionDef, OptionId, Origin, Resolved, Space, SpaceId,
};
pub use format::{
    Atom, Element, EncapsulatedSpace, FormatError, FormatErrorKind, IntWidth, OptionFormat,
};
pub use space::{CodeWidth, LengthWidth, SpaceDecl, SpaceEncoding, Storage, WidthError};
