//! Evaluating expressions: ISC's `evaluate_boolean_expression`,
//! `evaluate_numeric_expression` and `evaluate_expression` (the data kind
//! is in `data.rs`).
//!
//! Every evaluation either yields a value or fails ("NULL" in ISC's debug
//! output). Failing is ordinary: an option the client did not send, a
//! missing lease, a division by zero. Callers treat a failed condition as
//! false. Where ISC logs on the way, the same line is pushed to
//! [`Evaluator::log`], and ISC's oddities are kept on purpose because they
//! decide what a configuration does:
//!
//! * `A and B` fails (rather than being false) when A is false, and `B`
//!   is then not evaluated; `A or B` evaluates B unless A is true.
//! * `=` compares values of any type: different types are unequal, and
//!   two failed sides are *equal* (`null = null` is true).
//! * Arithmetic is on 64-bit unsigned numbers and wraps; dividing by zero
//!   fails without a log line.
//! * Calling a function where a typed value is expected (`if f(x)`) never
//!   works in ISC 4.4: after the call it logs "Bogus opcode" and fails.
//!   Only `set`, `eval`, `return` and `=` take a function's value.

use super::context::{Context, Host, LogLine, Priority};
use super::state::OptionState;
use super::value::{Bindings, Function, Scopes, Value};
use crate::conf::ast::{BinaryOp, Expression, IntWidth};

/// How deep evaluation may recurse (function calls, `config-option`
/// reading itself). ISC has no limit and overflows its stack; we fail the
/// evaluation instead.
pub(crate) const MAX_DEPTH: u32 = 200;

/// The option states an expression reads: the request's options (`option`,
/// `exists`) and the options set so far by statements (`config-option`).
/// ISC's `in_options` and `cfg_options`; either may be absent, and at
/// start-up ISC passes the same state as both in turn.
#[derive(Clone, Copy, Debug, Default)]
pub struct Opts<'o, 'c> {
    /// ISC `in_options`.
    pub input: Option<&'o OptionState<'c>>,
    /// ISC `cfg_options`.
    pub config: Option<&'o OptionState<'c>>,
}

/// Side effects of executing statements, in the order they happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// `add "CLASS";`: the client joins the class.
    AddClass(String),
    /// `execute(...)`: the program and its arguments to run (ISC runs it
    /// and waits; doing so is the caller's job).
    Execute(Vec<Vec<u8>>),
}

/// What `on commit/expiry/release` registered for the lease (ISC `struct
/// on_star`); a later `on` for the same event replaces an earlier one.
#[derive(Clone, Copy, Debug, Default)]
pub struct OnStar<'c> {
    /// Run when the lease is committed.
    pub commit: Option<&'c [crate::conf::ast::Statement]>,
    /// Run when the lease expires.
    pub expiry: Option<&'c [crate::conf::ast::Statement]>,
    /// Run when the client releases the lease.
    pub release: Option<&'c [crate::conf::ast::Statement]>,
}

/// One evaluation run: the inputs it reads, the scopes it binds in and
/// what it produced (log lines, effects).
pub struct Evaluator<'e, 'c> {
    /// Request, lease, time.
    pub ctx: Context<'e>,
    /// Name look-ups, host name, class checks.
    pub host: &'e mut dyn Host,
    /// Variables.
    pub scopes: Scopes<'e, 'c>,
    /// Lines logged so far.
    pub log: Vec<LogLine>,
    /// Side effects so far.
    pub effects: Vec<Effect>,
    /// Where `on` statements register; `None` when ISC has neither an
    /// `on_star` nor a lease to register in (then `on` does nothing).
    pub on_star: Option<OnStar<'c>>,
    /// Set when a `log(fatal, ...)` ran: ISC exits after logging it.
    pub fatal: Option<Vec<u8>>,
    /// Option spaces the configuration declared: name, code width and
    /// length width in bytes (encapsulation needs the widths).
    pub user_spaces: Vec<(String, u32, u32)>,
    pub(crate) depth: u32,
}

/// ISC's number for an expression's operation (`enum expr_op`), which its
/// log lines print.
pub fn isc_opcode(e: &Expression) -> u32 {
    match e {
        Expression::Check(_) => 2,
        Expression::Binary { op, .. } => match op {
            BinaryOp::Equal => 3,
            BinaryOp::And => 8,
            BinaryOp::Or => 9,
            BinaryOp::NotEqual => 38,
            BinaryOp::Add => 47,
            BinaryOp::Subtract => 48,
            BinaryOp::Multiply => 49,
            BinaryOp::Divide => 50,
            BinaryOp::Remainder => 51,
            BinaryOp::BinaryAnd => 52,
            BinaryOp::BinaryOr => 53,
            BinaryOp::BinaryXor => 54,
            BinaryOp::RegexMatch => 58,
            BinaryOp::IRegexMatch => 59,
        },
        Expression::Substring { .. } => 4,
        Expression::Suffix { .. } => 5,
        Expression::Concat(..) => 6,
        Expression::HostLookup(_) => 7,
        Expression::Not(_) => 10,
        Expression::Option(_) => 11,
        Expression::Hardware => 12,
        Expression::Packet { .. } => 13,
        Expression::ConstData(_) => 14,
        Expression::ExtractInt { width, .. } => 15 + width_index(*width),
        Expression::EncodeInt { width, .. } => 18 + width_index(*width),
        Expression::ConstInt(_) | Expression::DnsRcode(_) | Expression::ClientStateName(_) => 21,
        Expression::Exists(_) => 22,
        Expression::Encapsulate(_) => 23,
        Expression::Known => 24,
        Expression::Reverse { .. } => 25,
        Expression::LeasedAddress => 26,
        Expression::BinaryToAscii { .. } => 27,
        Expression::ConfigOption(_) => 28,
        Expression::HostDeclName => 29,
        Expression::PickFirstValue(_) => 30,
        Expression::LeaseTime => 31,
        Expression::Static => 33,
        Expression::Null => 39,
        Expression::VariableExists(_) => 40,
        Expression::Variable(_) => 41,
        Expression::Filename => 42,
        Expression::ServerName => 43,
        Expression::Funcall { .. } => 45,
        Expression::Function { .. } => 46,
        Expression::ClientState => 55,
        Expression::Ucase(_) => 56,
        Expression::Lcase(_) => 57,
        Expression::Gethostname => 60,
        Expression::V6Relay { .. } => 61,
    }
}

fn width_index(w: IntWidth) -> u32 {
    match w {
        IntWidth::W8 => 0,
        IntWidth::W16 => 1,
        IntWidth::W32 => 2,
    }
}

impl<'e, 'c> Evaluator<'e, 'c> {
    /// An evaluator over a context, a host and the caller's scope.
    pub fn new(
        ctx: Context<'e>,
        host: &'e mut dyn Host,
        scopes: Scopes<'e, 'c>,
    ) -> Evaluator<'e, 'c> {
        Evaluator {
            ctx,
            host,
            scopes,
            log: Vec::new(),
            effects: Vec::new(),
            on_star: None,
            fatal: None,
            user_spaces: Vec::new(),
            depth: 0,
        }
    }

    pub(crate) fn error(&mut self, text: impl Into<Vec<u8>>) {
        self.log.push(LogLine::new(Priority::Error, text));
    }

    pub(crate) fn info(&mut self, text: impl Into<Vec<u8>>) {
        self.log.push(LogLine::new(Priority::Info, text));
    }

    pub(crate) fn debug(&mut self, text: impl Into<Vec<u8>>) {
        self.log.push(LogLine::new(Priority::Debug, text));
    }

    /// Runs `f` one level deeper, failing past [`MAX_DEPTH`].
    pub(crate) fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// ISC `evaluate_expression`: a value of whatever type the expression
    /// has (variables, function calls, and `=` operands).
    pub fn evaluate(&mut self, o: Opts<'_, 'c>, e: &'c Expression) -> Option<Value<'c>> {
        match e {
            Expression::Variable(name) => self.scopes.value(name).cloned(),
            Expression::Funcall { name, args } => self.nested(|ev| ev.call(o, name, args)),
            _ if e.is_boolean() => self.boolean(o, e).map(Value::Boolean),
            _ if e.is_numeric() => self.numeric(o, e).map(Value::Numeric),
            _ if e.is_data() => self.data(o, e).map(Value::Data),
            _ => {
                self.error(format!(
                    "evaluate_expression: invalid expression type: {}",
                    isc_opcode(e)
                ));
                None
            }
        }
    }

    /// A call of a function bound with `define`.
    fn call(&mut self, o: Opts<'_, 'c>, name: &str, args: &'c [Expression]) -> Option<Value<'c>> {
        let f: Function<'c> = match self.scopes.value(name) {
            None => {
                self.error(format!("{}: no such function.", name));
                return None;
            }
            Some(Value::Function(Some(f))) => *f,
            // `define NAME = EXPR;` made a function without a definition;
            // ISC would follow a wild pointer here.
            Some(Value::Function(None)) => return None,
            Some(_) => {
                self.error(format!("{}: not a function.", name));
                return None;
            }
        };
        let mut frame = Bindings::new();
        let n = args.len().min(f.params.len());
        for (arg, param) in args[..n].iter().zip(f.params) {
            // Arguments are evaluated in the caller's scope.
            let v = self.evaluate(o, arg);
            frame.insert(param, v);
        }
        if args.len() > n {
            self.error(format!("{}: too many arguments.", name));
            return None;
        }
        if f.params.len() > n {
            self.error(format!("{}: too few arguments.", name));
            return None;
        }
        self.scopes.push(frame);
        let mut result = None;
        self.run_in(o, Some(&mut result), f.body);
        self.scopes.pop();
        result
    }

    /// ISC `evaluate_boolean_expression`.
    pub fn boolean(&mut self, o: Opts<'_, 'c>, e: &'c Expression) -> Option<bool> {
        match e {
            Expression::Check(name) => Some(self.host.check_collection(name)),
            Expression::Binary {
                op: op @ (BinaryOp::Equal | BinaryOp::NotEqual),
                lhs,
                rhs,
            } => {
                let l = self.evaluate(o, lhs);
                let r = self.evaluate(o, rhs);
                let equal = match (&l, &r) {
                    (Some(a), Some(b)) => a.same_as(b).unwrap_or(false),
                    (None, None) => true,
                    _ => false,
                };
                Some(equal == (*op == BinaryOp::Equal))
            }
            Expression::Binary {
                op: op @ (BinaryOp::RegexMatch | BinaryOp::IRegexMatch),
                lhs,
                rhs,
            } => {
                let l = self.data(o, lhs);
                let r = self.data(o, rhs);
                let (l, r) = (l?, r?);
                // regexec and regcomp see C strings: up to the first NUL.
                let cut = |d: &[u8]| d.iter().position(|&b| b == 0).map_or(d.len(), |i| i);
                let icase = *op == BinaryOp::IRegexMatch;
                let matched = match super::regex::Regex::new(&r[..cut(&r)], icase) {
                    Ok(re) => re.is_match(&l[..cut(&l)]),
                    Err(_) => false,
                };
                Some(matched)
            }
            Expression::Binary {
                op: BinaryOp::And,
                lhs,
                rhs,
            } => {
                let l = self.boolean(o, lhs);
                if l != Some(true) {
                    return None;
                }
                self.boolean(o, rhs)
            }
            Expression::Binary {
                op: BinaryOp::Or,
                lhs,
                rhs,
            } => {
                let l = self.boolean(o, lhs);
                if l == Some(true) {
                    return Some(true);
                }
                let r = self.boolean(o, rhs);
                match (l, r) {
                    (None, None) => None,
                    (l, r) => Some(l == Some(true) || r == Some(true)),
                }
            }
            Expression::Not(inner) => self.boolean(o, inner).map(|b| !b),
            Expression::Exists(opt) => {
                let Some(input) = o.input else {
                    return Some(false);
                };
                let found = match input.lookup(opt.space_id, opt.code) {
                    Some(cache) => self.nested(|ev| ev.option_cache(o, cache)).is_some(),
                    None => false,
                };
                Some(found)
            }
            Expression::Known => self.ctx.packet.map(|p| p.known),
            Expression::Static => Some(self.ctx.lease.as_ref().is_some_and(|l| l.is_static)),
            Expression::VariableExists(name) => Some(self.scopes.value(name).is_some()),
            Expression::Variable(name) => match self.scopes.value(name) {
                Some(Value::Boolean(b)) => Some(*b),
                Some(v) => {
                    let t = v.isc_type();
                    self.error(format!(
                        "binding type {} in evaluate_boolean_expression.",
                        t
                    ));
                    None
                }
                None => None,
            },
            Expression::Funcall { name, .. } => {
                if let Some(v) = self.evaluate(o, e) {
                    if !matches!(v, Value::Boolean(_)) {
                        self.error(format!(
                            "{}() returned type {} in evaluate_boolean_expression.",
                            name,
                            v.isc_type()
                        ));
                    }
                }
                self.error(format!(
                    "Bogus opcode in evaluate_boolean_expression: {}",
                    isc_opcode(e)
                ));
                None
            }
            Expression::Function { .. } => {
                self.error("function definition in evaluate_boolean_expr");
                None
            }
            _ if e.is_data() => {
                self.error(format!(
                    "Data opcode in evaluate_boolean_expression: {}",
                    isc_opcode(e)
                ));
                None
            }
            _ => {
                self.error(format!(
                    "Numeric opcode in evaluate_boolean_expression: {}",
                    isc_opcode(e)
                ));
                None
            }
        }
    }

    /// ISC `evaluate_numeric_expression`.
    pub fn numeric(&mut self, o: Opts<'_, 'c>, e: &'c Expression) -> Option<u64> {
        match e {
            Expression::ExtractInt { width, data } => {
                let d = self.data(o, data)?;
                match width {
                    // ISC reads the first byte even of an empty string (what
                    // it finds there is undefined); an empty string fails here.
                    IntWidth::W8 => d.first().map(|&b| u64::from(b)),
                    IntWidth::W16 => d
                        .get(..2)
                        .map(|b| u64::from(u16::from_be_bytes([b[0], b[1]]))),
                    IntWidth::W32 => d
                        .get(..4)
                        .map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))),
                }
            }
            Expression::ConstInt(n) => Some(*n),
            Expression::DnsRcode(r) => Some(u64::from(dns_rcode(*r))),
            Expression::ClientStateName(s) => Some(u64::from(s.value())),
            Expression::LeaseTime => {
                let Some(lease) = &self.ctx.lease else {
                    self.error("data: leased_lease: not available");
                    return None;
                };
                let (ends, now) = (lease.ends, self.ctx.now);
                if ends < now {
                    self.error(format!(
                        "data: lease_time: lease ends at {} when it is now {}",
                        ends as u64, now as u64
                    ));
                    return None;
                }
                Some((ends - now) as u64)
            }
            Expression::Variable(name) => match self.scopes.value(name) {
                Some(Value::Numeric(n)) => Some(*n),
                Some(v) => {
                    let t = v.isc_type();
                    self.error(format!(
                        "binding type {} in evaluate_numeric_expression.",
                        t
                    ));
                    None
                }
                None => None,
            },
            Expression::Funcall { name, .. } => {
                if let Some(v) = self.evaluate(o, e) {
                    if !matches!(v, Value::Numeric(_)) {
                        self.error(format!(
                            "{}() returned type {} in evaluate_numeric_expression.",
                            name,
                            v.isc_type()
                        ));
                    }
                }
                self.error(format!(
                    "evaluate_numeric_expression: bogus opcode {}",
                    isc_opcode(e)
                ));
                None
            }
            Expression::Binary { op, lhs, rhs }
                if op.result_context() == crate::conf::ast::ExprContext::Numeric =>
            {
                // Both sides are always evaluated, for their log lines.
                let l = self.numeric(o, lhs);
                let r = self.numeric(o, rhs);
                let (l, r) = (l?, r?);
                match op {
                    BinaryOp::Add => Some(l.wrapping_add(r)),
                    BinaryOp::Subtract => Some(l.wrapping_sub(r)),
                    BinaryOp::Multiply => Some(l.wrapping_mul(r)),
                    BinaryOp::Divide => l.checked_div(r),
                    BinaryOp::Remainder => l.checked_rem(r),
                    BinaryOp::BinaryAnd => Some(l & r),
                    BinaryOp::BinaryOr => Some(l | r),
                    _ => Some(l ^ r),
                }
            }
            Expression::ClientState => self.ctx.client_state.map(u64::from),
            Expression::Function { .. } => {
                self.error("function definition in evaluate_numeric_expr");
                None
            }
            _ if e.is_data() => {
                self.error(format!(
                    "Data opcode in evaluate_numeric_expression: {}",
                    isc_opcode(e)
                ));
                None
            }
            _ => {
                self.error(format!(
                    "Boolean opcode in evaluate_numeric_expression: {}",
                    isc_opcode(e)
                ));
                None
            }
        }
    }

    /// The lines logged so far, leaving the log empty.
    pub fn take_log(&mut self) -> Vec<LogLine> {
        std::mem::take(&mut self.log)
    }
}

/// The DNS response code a constant stands for (RFC 1035/2136).
fn dns_rcode(r: crate::conf::ast::DnsRcode) -> u32 {
    use crate::conf::ast::DnsRcode as R;
    match r {
        R::NoError => 0,
        R::FormErr => 1,
        R::ServFail => 2,
        R::NxDomain => 3,
        R::NotImp => 4,
        R::Refused => 5,
        R::YxDomain => 6,
        R::YxRrset => 7,
        R::NxRrset => 8,
        R::NotAuth => 9,
        R::NotZone => 10,
    }
}
