//! The engine's narrow view of ISC's statement and expression evaluator.
//!
//! The engine decides *which* scopes run and in what order (ISC's
//! `execute_statements_in_scope` calls in `ack_lease`, `dhcpinform`,
//! `nak_lease`, `bootp`), and *which* options it reads or forces into the
//! reply. What a statement means — `supersede` versus `default`, an `if`,
//! an option value written as an expression — is the evaluator's business.
//! [`ScopeEvaluator`] is the boundary: an option state per packet that
//! statements are run into, option lookups by (space, code), and the two
//! expression kinds classes need (`match if`, `match`/`spawn with`).
//!
//! [`ConstEvaluator`] is a complete evaluator for configurations whose
//! option values are constants and whose statements are option settings: it
//! applies ISC's `set_option` rules (`option`/`supersede`/`send` replace,
//! `default` fills a gap, `append`/`prepend` join) and keeps ISC's storage
//! order (17 hash buckets, newest first), which decides the order of a
//! reply's options when the client sent no parameter request list. It
//! evaluates the expressions classes commonly use (`option`, `hardware`,
//! `substring`, `suffix`, `concat`, constants, `=`, `!=`, `and`, `or`,
//! `not`, `exists`, `known`); anything else fails, which a class treats as
//! no match. The full evaluator (`crate::eval`) implements the same trait.

use std::net::Ipv4Addr;

use crate::conf::ast::{BinaryOp, Expression, OptionOp, OptionValue, Statement, ValuePart};
use crate::options::SpaceId;
use crate::wire::dhcp::RawOption;

use super::outcome::LogLine;

/// The request as expressions see it (ISC `struct packet`).
#[derive(Clone, Copy, Debug)]
pub struct EvalPacket<'a> {
    /// The BOOTP message as received (`packet(OFFSET, LEN)` reads it).
    pub raw: &'a [u8],
    /// The DHCP options received, overload and RFC 3396 resolved.
    pub options: &'a [RawOption<'a>],
    /// The client has a host declaration (`known`), as far as the
    /// processing has found out when the evaluation runs.
    pub known: bool,
}

impl EvalPacket<'_> {
    /// A received DHCP option's value.
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        self.options.iter().find(|o| o.code == code).map(|o| &*o.data)
    }

    /// `htype` followed by the first `hlen` bytes of `chaddr`, as the
    /// `hardware` expression yields it.
    pub fn hardware(&self) -> Option<Vec<u8>> {
        let htype = *self.raw.get(1)?;
        let hlen = usize::from(*self.raw.get(2)?).min(16);
        let chaddr = self.raw.get(28..28 + hlen)?;
        let mut v = Vec::with_capacity(1 + hlen);
        v.push(htype);
        v.extend_from_slice(chaddr);
        Some(v)
    }
}

/// The lease an evaluation concerns (ISC's `lease` argument).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalLease {
    /// `leased-address`.
    pub address: Ipv4Addr,
    /// When it ends (`lease-time` counts down to it).
    pub ends: i64,
    /// A fixed-address lease (`static`).
    pub is_static: bool,
    /// The host declaration it is bound to (`host-decl-name`).
    pub host_name: Option<String>,
    /// Its hardware type and address (`hardware` without a packet).
    pub hardware: Vec<u8>,
}

/// Everything an evaluation may read besides option states.
#[derive(Clone, Copy, Debug)]
pub struct EvalContext<'a> {
    /// The request, absent for lease events without one.
    pub packet: Option<EvalPacket<'a>>,
    /// The lease, absent where ISC passes none (classification, INFORM).
    pub lease: Option<&'a EvalLease>,
    /// Wall-clock seconds.
    pub now: i64,
}

/// The statements `on commit`, `on expiry` and `on release` registered
/// while scopes ran for a lease (ISC `struct on_star`).
#[derive(Clone, Copy, Debug, Default)]
pub struct LeaseEvents<'c> {
    /// Run when the lease is committed (DHCPACK, BOOTREPLY).
    pub commit: Option<&'c [Statement]>,
    /// Run when the lease expires.
    pub expiry: Option<&'c [Statement]>,
    /// Run when the client releases the lease.
    pub release: Option<&'c [Statement]>,
}

/// What the engine needs from an evaluator. One value is made per engine
/// and reused for every packet; states live for one packet.
pub trait ScopeEvaluator {
    /// An option state under construction (ISC `struct option_state`); it
    /// may borrow the configuration's statements for `'c`.
    type State<'c>;

    /// A new, empty state.
    fn new_state<'c>(&mut self) -> Self::State<'c>;

    /// Runs one scope's statements into `state` (ISC `execute_statements`
    /// on one group; the engine walks the scope chain itself).
    fn execute<'c>(&mut self, cx: &EvalContext<'_>, state: &mut Self::State<'c>, statements: &'c [Statement]);

    /// The evaluated value of an option in `state`, `None` when it is not
    /// set or its evaluation fails (ISC `lookup_option` then
    /// `evaluate_option_cache`).
    fn option(&mut self, cx: &EvalContext<'_>, state: &Self::State<'_>, space: SpaceId, code: u32) -> Option<Vec<u8>>;

    /// Whether `state` holds the option at all (ISC `lookup_option`).
    fn has_option(&self, state: &Self::State<'_>, space: SpaceId, code: u32) -> bool;

    /// Stores a constant value, replacing any (ISC `save_option` of a
    /// `make_const_data` cache).
    fn set_option(&mut self, state: &mut Self::State<'_>, space: SpaceId, code: u32, value: Vec<u8>);

    /// Removes an option (ISC `delete_option`).
    fn delete_option(&mut self, state: &mut Self::State<'_>, space: SpaceId, code: u32);

    /// The codes set in a space, in ISC's storage order (the order a reply
    /// without a parameter request list lists them in).
    fn option_codes(&self, state: &Self::State<'_>, space: SpaceId) -> Vec<u32>;

    /// What a reply carries for DHCP option `code`: its value, joined with
    /// the encapsulated space's sub-options where the option's format says
    /// so (ISC `store_options`' per-option step). `None` = not sent.
    fn reply_option(&mut self, cx: &EvalContext<'_>, state: &Self::State<'_>, code: u8) -> Option<Vec<u8>> {
        self.option(cx, state, SpaceId::DHCP, u32::from(code))
    }

    /// Whether DHCP option `code` holds text (ISC `format_has_text`):
    /// such options get a trailing NUL for clients that sent NUL-terminated
    /// host names.
    fn has_text(&self, state: &Self::State<'_>, code: u8) -> bool {
        let _ = state;
        builtin_dhcp_option_has_text(code)
    }

    /// A boolean expression (`match if`); `None` when evaluation fails.
    fn boolean<'c>(&mut self, cx: &EvalContext<'_>, state: Option<&Self::State<'c>>, expr: &'c Expression) -> Option<bool>;

    /// A data expression (`match`, `spawn with`); `None` when it fails.
    fn data<'c>(&mut self, cx: &EvalContext<'_>, state: Option<&Self::State<'c>>, expr: &'c Expression) -> Option<Vec<u8>>;

    /// The lease-event statements `on` statements registered in `state`
    /// (only runs with a lease register them).
    fn lease_events<'c>(&self, state: &Self::State<'c>) -> LeaseEvents<'c> {
        let _ = state;
        LeaseEvents::default()
    }

    /// Runs lease-event statements for the lease in `cx`.
    fn run_event(&mut self, cx: &EvalContext<'_>, statements: &[Statement]) {
        let _ = (cx, statements);
    }

    /// Lines logged by evaluations since the last call.
    fn take_logs(&mut self) -> Vec<LogLine>;

    /// Programs `execute(...)` asked for since the last call, each as its
    /// argument vector (the command first).
    fn take_commands(&mut self) -> Vec<Vec<Vec<u8>>> {
        Vec::new()
    }
}

/// ISC `format_has_text`: the format holds a text atom (`t`, `k`) before
/// any variable-length atom.
pub fn format_has_text(format: &str) -> bool {
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        match c {
            't' | 'k' => return true,
            'A' | 'a' | 'X' | 'x' | 'D' | 'd' => return false,
            // A space name follows up to its dot.
            'E' | 'N' => {
                for n in chars.by_ref() {
                    if n == '.' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// [`format_has_text`] for a built-in DHCP option (false for unknown codes).
pub fn builtin_dhcp_option_has_text(code: u8) -> bool {
    crate::options::table::SPACES[SpaceId::DHCP.index()]
        .options
        .iter()
        .find(|o| o.code == u32::from(code))
        .is_some_and(|o| format_has_text(o.format))
}

/// ISC's option hash bucket for a code (`compute_option_hash`: 17 buckets).
pub fn option_bucket(code: u32) -> u32 {
    ((code & 31) + ((code >> 5) & 31)) % 17
}

/// One stored option of a [`ConstState`].
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stored {
    space: SpaceId,
    code: u32,
    value: Option<Vec<u8>>,
    /// Insertion stamp: within a bucket the newest comes first.
    stamp: u64,
}

/// The option state of a [`ConstEvaluator`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConstState {
    stored: Vec<Stored>,
    next_stamp: u64,
}

impl ConstState {
    fn find(&self, space: SpaceId, code: u32) -> Option<usize> {
        self.stored.iter().position(|s| s.space == space && s.code == code)
    }

    /// ISC `save_hashed_option`: a replacement keeps the old entry's place.
    fn save(&mut self, space: SpaceId, code: u32, value: Option<Vec<u8>>) {
        match self.find(space, code) {
            Some(i) => self.stored[i].value = value,
            None => {
                self.next_stamp += 1;
                self.stored.push(Stored { space, code, value, stamp: self.next_stamp });
            }
        }
    }

    fn get(&self, space: SpaceId, code: u32) -> Option<&Option<Vec<u8>>> {
        self.find(space, code).map(|i| &self.stored[i].value)
    }
}

/// An evaluator for constant option values (see the module doc).
#[derive(Debug, Default)]
pub struct ConstEvaluator {
    logs: Vec<LogLine>,
}

impl ConstEvaluator {
    /// A new evaluator.
    pub fn new() -> Self {
        ConstEvaluator::default()
    }

    /// A value written in the option's syntax; host names cannot be
    /// resolved without IO, so such a value fails.
    fn constant(parts: &[ValuePart]) -> Option<Vec<u8>> {
        let mut v = Vec::new();
        for p in parts {
            match p {
                ValuePart::Bytes(b) => v.extend_from_slice(b),
                ValuePart::HostLookup { .. } => return None,
            }
        }
        Some(v)
    }

    fn value(&mut self, cx: &EvalContext<'_>, state: Option<&ConstState>, v: &OptionValue) -> Option<Vec<u8>> {
        match v {
            OptionValue::Data(parts) => Self::constant(parts),
            OptionValue::Expression(e) => self.data(cx, state, e),
            OptionValue::Empty => None,
        }
    }

    fn data_expr(&mut self, cx: &EvalContext<'_>, state: Option<&ConstState>, e: &Expression) -> Option<Vec<u8>> {
        match e {
            Expression::ConstData(d) => Some(d.clone()),
            Expression::Option(o) if o.space_id == SpaceId::DHCP => {
                let code = u8::try_from(o.code).ok()?;
                cx.packet?.option(code).map(<[u8]>::to_vec)
            }
            Expression::ConfigOption(o) => state?.get(o.space_id, o.code)?.clone(),
            Expression::Hardware => cx.packet?.hardware(),
            Expression::Substring { data, offset, len } => {
                let d = self.data_expr(cx, state, data)?;
                let off = self.numeric(cx, state, offset)? as usize;
                let len = self.numeric(cx, state, len)? as usize;
                if off >= d.len() {
                    return Some(Vec::new());
                }
                Some(d[off..d.len().min(off.saturating_add(len))].to_vec())
            }
            Expression::Suffix { data, len } => {
                let d = self.data_expr(cx, state, data)?;
                let keep = d.len().min(self.numeric(cx, state, len)? as usize);
                Some(d[d.len() - keep..].to_vec())
            }
            Expression::Concat(a, b) => {
                let mut a = self.data_expr(cx, state, a)?;
                a.extend(self.data_expr(cx, state, b)?);
                Some(a)
            }
            Expression::Lcase(x) => self.data_expr(cx, state, x).map(|d| d.to_ascii_lowercase()),
            Expression::Ucase(x) => self.data_expr(cx, state, x).map(|d| d.to_ascii_uppercase()),
            Expression::LeasedAddress => cx.lease.map(|l| l.address.octets().to_vec()),
            Expression::HostDeclName => cx.lease?.host_name.clone().map(String::into_bytes),
            _ => None,
        }
    }

    fn numeric(&mut self, cx: &EvalContext<'_>, state: Option<&ConstState>, e: &Expression) -> Option<u64> {
        match e {
            Expression::ConstInt(n) => Some(*n),
            Expression::LeaseTime => cx.lease.map(|l| (l.ends - cx.now).max(0) as u64),
            Expression::ExtractInt { width, data } => {
                let d = self.data_expr(cx, state, data)?;
                let n = width.bits() as usize / 8;
                let b = d.get(..n)?;
                Some(b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
            }
            _ => None,
        }
    }
}

impl ScopeEvaluator for ConstEvaluator {
    type State<'c> = ConstState;

    fn new_state<'c>(&mut self) -> Self::State<'c> {
        ConstState::default()
    }

    fn execute<'c>(&mut self, cx: &EvalContext<'_>, state: &mut Self::State<'c>, statements: &'c [Statement]) {
        for st in statements {
            match st {
                Statement::Option(o) => {
                    let (space, code) = (o.option.space_id, o.option.code);
                    let value = self.value(cx, Some(state), &o.value);
                    match o.op {
                        OptionOp::Supersede | OptionOp::Send => state.save(space, code, value),
                        OptionOp::Default => {
                            if state.find(space, code).is_none() {
                                state.save(space, code, value);
                            }
                        }
                        OptionOp::Append | OptionOp::Prepend => {
                            let old = state.get(space, code).cloned().flatten();
                            let joined = match (old, value) {
                                (Some(old), Some(new)) if o.op == OptionOp::Append => Some([old, new].concat()),
                                (Some(old), Some(new)) => Some([new, old].concat()),
                                (old, new) => new.or(old),
                            };
                            state.save(space, code, joined);
                        }
                    }
                }
                Statement::If(i) => {
                    let branch = if self.boolean(cx, Some(state), &i.condition) == Some(true) { &i.then } else { &i.otherwise };
                    self.execute(cx, state, branch);
                }
                Statement::Log { message, .. } => {
                    if let Some(text) = self.data(cx, Some(state), message) {
                        self.logs.push(LogLine::info(String::from_utf8_lossy(&text).into_owned()));
                    }
                }
                _ => {}
            }
        }
    }

    fn option(&mut self, _cx: &EvalContext<'_>, state: &ConstState, space: SpaceId, code: u32) -> Option<Vec<u8>> {
        state.get(space, code).cloned().flatten()
    }

    fn has_option(&self, state: &ConstState, space: SpaceId, code: u32) -> bool {
        state.find(space, code).is_some()
    }

    fn set_option(&mut self, state: &mut ConstState, space: SpaceId, code: u32, value: Vec<u8>) {
        state.save(space, code, Some(value));
    }

    fn delete_option(&mut self, state: &mut ConstState, space: SpaceId, code: u32) {
        state.stored.retain(|s| !(s.space == space && s.code == code));
    }

    fn option_codes(&self, state: &ConstState, space: SpaceId) -> Vec<u32> {
        let mut v: Vec<&Stored> = state.stored.iter().filter(|s| s.space == space).collect();
        v.sort_by_key(|s| (option_bucket(s.code), std::cmp::Reverse(s.stamp)));
        v.into_iter().map(|s| s.code).collect()
    }

    fn boolean(&mut self, cx: &EvalContext<'_>, state: Option<&ConstState>, expr: &Expression) -> Option<bool> {
        match expr {
            Expression::Known => Some(cx.packet?.known),
            Expression::Static => Some(cx.lease?.is_static),
            Expression::Not(e) => self.boolean(cx, state, e).map(|b| !b),
            Expression::Exists(o) if o.space_id == SpaceId::DHCP => {
                let code = u8::try_from(o.code).ok()?;
                Some(cx.packet?.option(code).is_some())
            }
            Expression::Binary { op: BinaryOp::And, lhs, rhs } => {
                // ISC: a false left side makes the whole expression fail.
                if !self.boolean(cx, state, lhs)? {
                    return None;
                }
                self.boolean(cx, state, rhs)
            }
            Expression::Binary { op: BinaryOp::Or, lhs, rhs } => {
                if self.boolean(cx, state, lhs) == Some(true) {
                    return Some(true);
                }
                self.boolean(cx, state, rhs)
            }
            Expression::Binary { op: op @ (BinaryOp::Equal | BinaryOp::NotEqual), lhs, rhs } => {
                let eq = if lhs.is_numeric() || rhs.is_numeric() {
                    self.numeric(cx, state, lhs) == self.numeric(cx, state, rhs)
                } else {
                    self.data_expr(cx, state, lhs) == self.data_expr(cx, state, rhs)
                };
                Some(if *op == BinaryOp::Equal { eq } else { !eq })
            }
            _ => None,
        }
    }

    fn data(&mut self, cx: &EvalContext<'_>, state: Option<&ConstState>, expr: &Expression) -> Option<Vec<u8>> {
        self.data_expr(cx, state, expr)
    }

    fn take_logs(&mut self) -> Vec<LogLine> {
        std::mem::take(&mut self.logs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_formats_as_isc() {
        assert!(format_has_text("t"));
        assert!(!format_has_text("IA"));
        assert!(!format_has_text("X"));
        assert!(format_has_text("Nfoo.t"));
        assert!(builtin_dhcp_option_has_text(12));
        assert!(builtin_dhcp_option_has_text(15));
        assert!(!builtin_dhcp_option_has_text(3));
    }

    #[test]
    fn buckets_follow_isc_formula() {
        assert_eq!(option_bucket(1), 1);
        assert_eq!(option_bucket(3), 3);
        assert_eq!(option_bucket(17), 0);
        assert_eq!(option_bucket(51), (19 + 1) % 17);
    }

    #[test]
    fn storage_order_is_bucket_then_newest_first() {
        let mut ev = ConstEvaluator::new();
        let mut st = ev.new_state();
        ev.set_option(&mut st, SpaceId::DHCP, 3, vec![1]);
        ev.set_option(&mut st, SpaceId::DHCP, 1, vec![2]);
        ev.set_option(&mut st, SpaceId::DHCP, 18, vec![3]); // bucket 1, newer than 1
        ev.set_option(&mut st, SpaceId::DHCP, 3, vec![4]); // replaced in place
        assert_eq!(ev.option_codes(&st, SpaceId::DHCP), vec![18, 1, 3]);
    }
}
