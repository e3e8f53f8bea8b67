//! Evaluating dhcpd.conf's statements and expressions as ISC dhcpd 4.4 does.
//!
//! ISC keeps everything in a scope that is not a declaration as executable
//! statements and runs them per request and per lease event: option
//! settings, parameters, `if`/`switch`, variables, `log`, `execute`. This
//! module is that interpreter, pure: it reads a [`Context`] (request,
//! lease, time), option states ([`OptionState`]) and variable scopes
//! ([`Scopes`]), and yields values, option caches, log lines and
//! [`Effect`]s. Name look-ups and class checks are injected through
//! [`Host`]; nothing here touches the network, the clock or processes.
//!
//! * `value.rs` — values and scopes (`set`/`define`/`unset` rules).
//! * `context.rs` — what expressions read; the [`Host`] services; log lines.
//! * `state.rs` — option caches and ISC's supersede/default/append/prepend.
//! * `expr.rs` — boolean, numeric and run-time-typed evaluation.
//! * `data.rs` — data expressions and option-cache values.
//! * `exec.rs` — statement lists and scope chains.
//! * `encap.rs` — packing a space's options into one option.
//! * `convert.rs` — `binary-to-ascii` digits, domain-list joining.
//! * `regex.rs` — POSIX extended regular expressions for `~=` / `~~`
//!   (tests in `regex_tests.rs`).
//! * `resolve.rs` — ISC's caching of host-name answers.
//! * `postconf.rs` — the global scope at start-up (`dhcpd -t`'s lines).
//!
//! Log lines carry ISC's texts, ISC's oddities included, because
//! administrators grep for them and `dhcpd -t` prints some at start-up.

mod context;
mod convert;
mod data;
mod encap;
mod exec;
mod expr;
pub mod postconf;
pub mod regex;
mod resolve;
mod state;
mod value;

#[cfg(test)]
mod tests;

pub use context::{Context, Host, LeaseView, LogLine, LookupError, NoHost, PacketView, Priority};
pub use convert::{binary_to_ascii, concat_dclists};
pub use expr::{isc_opcode, Effect, Evaluator, OnStar, Opts};
pub use resolve::HostCache;
pub use state::{option_hash, CacheValue, OptionCache, OptionState};
pub use value::{Bindings, Function, Scopes, Value};
