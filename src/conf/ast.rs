//! Statements and expressions as written in a scope.
//!
//! ISC keeps everything inside a scope that is not a declaration — option
//! settings, server parameters such as `default-lease-time`, and executable
//! statements (`if`, `set`, `log`, ...) — as one list of executable
//! statements evaluated in order. We keep the same shape.
//!
//! Expressions are typed by what they yield, as ISC types them when it
//! parses: data (byte strings), numbers, booleans, or "any" for variable
//! references and function calls whose type is only known at run time.
//! [`Expression::context`] gives that type; the parser uses it to reject
//! e.g. `and` between two numbers with ISC's messages.

/// One statement in a scope, in source order.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `if COND { ... } [elsif COND { ... }] [else { ... }]`.
    If(IfStatement),
    /// `add "CLASS";`: makes the client a member of the class.
    Add(String),
    /// `break;`: leaves the enclosing `switch`.
    Break,
    /// An option setting (`option`/`supersede`/`default`/`append`/
    /// `prepend`/`send`), a server parameter (`default-lease-time 600;`, an
    /// option of the `server` space) or an `allow`/`deny`/`ignore` flag.
    Option(OptionStatement),
    /// `on commit | expiry | release | transmission { ... }`.
    On(OnStatement),
    /// `switch (EXPR) { ... }`.
    Switch(SwitchStatement),
    /// `case EXPR:` inside a switch body.
    Case(Expression),
    /// `default:` inside a switch body.
    SwitchDefault,
    /// `set NAME = EXPR;` / `define NAME = EXPR;`, and the function forms
    /// `define NAME (ARGS) { ... }` (the value is then a
    /// [`Expression::Function`]).
    Set {
        /// `set` or `define`.
        binding: Binding,
        /// The variable's name.
        name: String,
        /// Its new value.
        value: Expression,
    },
    /// `unset NAME;`.
    Unset(String),
    /// `eval EXPR;` (also a bare function call `f(x);`).
    Eval(Expression),
    /// `execute("COMMAND", ARG, ...);`: runs a program.
    Execute {
        /// Path of the program.
        command: String,
        /// Data expressions passed as arguments.
        args: Vec<Expression>,
    },
    /// `return EXPR;` from a function body.
    Return(Expression),
    /// `log([PRIORITY,] EXPR);`.
    Log {
        /// The syslog priority (`debug` when not given).
        priority: LogPriority,
        /// The message.
        message: Expression,
    },
    /// `parse-vendor-option;`: decode the vendor option with the
    /// configured vendor space.
    ParseVendorOption,
}

/// `set` versus `define`: a `define` binds in the outermost scope of the
/// evaluation, `set` in the innermost that has the variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// `set`.
    Set,
    /// `define`.
    Define,
}

/// An `if` with its branches.
#[derive(Clone, Debug, PartialEq)]
pub struct IfStatement {
    /// The boolean condition (or a variable/function of run-time type).
    pub condition: Expression,
    /// Statements run when the condition holds.
    pub then: Vec<Statement>,
    /// The `else` block; an `elsif` is an `else` holding one `If`.
    pub otherwise: Vec<Statement>,
}

/// Which lease events an `on` statement reacts to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeaseEvents {
    /// `commit`: a lease was granted or renewed.
    pub commit: bool,
    /// `expiry`: a lease expired.
    pub expiry: bool,
    /// `release`: the client released its lease.
    pub release: bool,
    /// `transmission`: a reply is about to be sent.
    pub transmission: bool,
}

/// `on EVENT [or EVENT ...] { ... }` (or `;` for no statements).
#[derive(Clone, Debug, PartialEq)]
pub struct OnStatement {
    /// The events.
    pub events: LeaseEvents,
    /// What to run.
    pub body: Vec<Statement>,
}

/// `switch (EXPR) { case ...: ... default: ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct SwitchStatement {
    /// The value switched on (data or numeric).
    pub value: Expression,
    /// The body, `case`/`default` labels included, in order.
    pub body: Vec<Statement>,
}

// Option settings are modelled next to their parser, which checks values
// against the option's format; they are re-exported here so that every
// statement type is reachable from `ast`.
pub use crate::conf::parse::option::{OptionOp, OptionRef, OptionStatement, OptionValue, ValuePart};

/// The priority of a `log` statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogPriority {
    /// `fatal` (logged at error level; does not stop the server).
    Fatal,
    /// `error`.
    Error,
    /// `debug` (also the default).
    Debug,
    /// `info`.
    Info,
}

/// What an expression yields, as far as the parser can tell (ISC
/// `enum expression_context`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExprContext {
    /// Unknown until run time (variables, function calls), or no constraint.
    Any,
    /// A byte string.
    Data,
    /// An unsigned number.
    Numeric,
    /// True or false.
    Boolean,
    /// Either data or a number (the value of a `switch`).
    DataOrNumeric,
}

/// Width of `extract-int` / `encode-int`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntWidth {
    /// 8 bits.
    W8,
    /// 16 bits.
    W16,
    /// 32 bits.
    W32,
}

impl IntWidth {
    /// The width for a bit count, if ISC supports it.
    pub fn from_bits(bits: i64) -> Option<IntWidth> {
        match bits {
            8 => Some(IntWidth::W8),
            16 => Some(IntWidth::W16),
            32 => Some(IntWidth::W32),
            _ => None,
        }
    }

    /// Number of bits.
    pub fn bits(self) -> u32 {
        match self {
            IntWidth::W8 => 8,
            IntWidth::W16 => 16,
            IntWidth::W32 => 32,
        }
    }
}

/// DNS response codes usable as numeric constants (`formerr`, `noerror`,
/// ...), left over from ISC's removed `ns-update` expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsRcode {
    /// `formerr`.
    FormErr,
    /// `noerror`.
    NoError,
    /// `notauth`.
    NotAuth,
    /// `notimp`.
    NotImp,
    /// `notzone`.
    NotZone,
    /// `nxdomain`.
    NxDomain,
    /// `nxrrset`.
    NxRrset,
    /// `refused`.
    Refused,
    /// `servfail`.
    ServFail,
    /// `yxdomain`.
    YxDomain,
    /// `yxrrset`.
    YxRrset,
}

/// DHCP client states usable as numeric constants (`booting`, `bound`,
/// ...), compared with `client-state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientStateName {
    /// `booting` (INIT).
    Booting,
    /// `reboot` (INIT-REBOOT).
    Reboot,
    /// `select` (SELECTING).
    Select,
    /// `request` (REQUESTING).
    Request,
    /// `bound` (BOUND).
    Bound,
    /// `renew` (RENEWING).
    Renew,
    /// `rebind` (REBINDING).
    Rebind,
}

impl ClientStateName {
    /// ISC's number for the state (`enum dhcp_state`).
    pub fn value(self) -> u32 {
        match self {
            ClientStateName::Reboot => 1,
            ClientStateName::Booting => 2,
            ClientStateName::Select => 3,
            ClientStateName::Request => 4,
            ClientStateName::Bound => 5,
            ClientStateName::Renew => 6,
            ClientStateName::Rebind => 7,
        }
    }
}

/// A binary operator, in ISC's precedence classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `=`.
    Equal,
    /// `!=`.
    NotEqual,
    /// `~=`: regular expression match.
    RegexMatch,
    /// `~~`: case-insensitive regular expression match.
    IRegexMatch,
    /// `and`.
    And,
    /// `or`.
    Or,
    /// `+`.
    Add,
    /// `-`.
    Subtract,
    /// `*`.
    Multiply,
    /// `/`.
    Divide,
    /// `%`.
    Remainder,
    /// `&`.
    BinaryAnd,
    /// `|`.
    BinaryOr,
    /// `^`.
    BinaryXor,
}

impl BinaryOp {
    /// ISC's precedence value (`op_val`): a higher value binds tighter.
    /// ISC's order is unusual and kept as is, because it decides what a
    /// configuration means: comparisons bind tightest of the ordinary
    /// operators, then `and`/`or`, then `+`/`-`, and `*`, `/`, `%` loosest
    /// (`a * b + c` is `a * (b + c)`). The bitwise operators share the value
    /// ISC gives to operands, so they bind tighter than everything.
    pub fn precedence(self) -> i32 {
        match self {
            BinaryOp::Equal | BinaryOp::NotEqual | BinaryOp::RegexMatch | BinaryOp::IRegexMatch => 4,
            BinaryOp::And | BinaryOp::Or => 3,
            BinaryOp::Add | BinaryOp::Subtract => 2,
            BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Remainder => 1,
            BinaryOp::BinaryAnd | BinaryOp::BinaryOr | BinaryOp::BinaryXor => 100,
        }
    }

    /// What the operator yields.
    pub fn result_context(self) -> ExprContext {
        match self {
            BinaryOp::Equal
            | BinaryOp::NotEqual
            | BinaryOp::RegexMatch
            | BinaryOp::IRegexMatch
            | BinaryOp::And
            | BinaryOp::Or => ExprContext::Boolean,
            _ => ExprContext::Numeric,
        }
    }

    /// The context ISC parses the right operand in when this operator has to
    /// bind tighter than the one before it (ISC `op_context`).
    pub fn operand_context(self) -> ExprContext {
        match self {
            BinaryOp::Equal | BinaryOp::NotEqual | BinaryOp::RegexMatch | BinaryOp::IRegexMatch => ExprContext::Data,
            BinaryOp::And | BinaryOp::Or => ExprContext::Boolean,
            _ => ExprContext::Numeric,
        }
    }
}

/// An expression (ISC `struct expression`), one variant per operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Expression {
    // ----- booleans -------------------------------------------------------
    /// `check "COLLECTION"`: the packet matched a class of the collection.
    Check(String),
    /// `not EXPR`.
    Not(Box<Expression>),
    /// `exists OPTION`: the client sent the option.
    Exists(OptionRef),
    /// `known`: the client has a host declaration.
    Known,
    /// `static`: the lease is a fixed address.
    Static,
    /// `defined(NAME)`: the variable is bound.
    VariableExists(String),
    /// `LHS OP RHS`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expression>,
        /// Right operand.
        rhs: Box<Expression>,
    },

    // ----- data -----------------------------------------------------------
    /// `substring(DATA, OFFSET, LENGTH)`.
    Substring {
        /// The string.
        data: Box<Expression>,
        /// Where to start.
        offset: Box<Expression>,
        /// How many bytes.
        len: Box<Expression>,
    },
    /// `suffix(DATA, LENGTH)`: the last LENGTH bytes.
    Suffix {
        /// The string.
        data: Box<Expression>,
        /// How many bytes.
        len: Box<Expression>,
    },
    /// `lcase(DATA)`.
    Lcase(Box<Expression>),
    /// `ucase(DATA)`.
    Ucase(Box<Expression>),
    /// `concat(A, B)`; ISC parses `concat(a, b, c)` as
    /// `concat(concat(a, b), c)`.
    Concat(Box<Expression>, Box<Expression>),
    /// `binary-to-ascii(BASE, WIDTH, SEPARATOR, DATA)`.
    BinaryToAscii {
        /// Numeric base (2..=16).
        base: Box<Expression>,
        /// Bits per number (8, 16 or 32).
        width: Box<Expression>,
        /// Text put between numbers.
        separator: Box<Expression>,
        /// The bytes to convert.
        buffer: Box<Expression>,
    },
    /// `reverse(WIDTH, DATA)`: reverses the order of WIDTH-byte groups.
    Reverse {
        /// Group size in bytes.
        width: Box<Expression>,
        /// The bytes.
        buffer: Box<Expression>,
    },
    /// `pick-first-value(A, B, ...)`: the first that has a value.
    PickFirstValue(Vec<Expression>),
    /// `option NAME`: the value the client sent.
    Option(OptionRef),
    /// `config-option NAME`: the value the configuration gives.
    ConfigOption(OptionRef),
    /// `hardware`: the hardware type byte followed by the address.
    Hardware,
    /// `packet(OFFSET, LENGTH)`: raw bytes of the request.
    Packet {
        /// Offset into the packet.
        offset: Box<Expression>,
        /// Number of bytes.
        len: Box<Expression>,
    },
    /// A string or colon-separated hex constant.
    ConstData(Vec<u8>),
    /// `encode-int(NUMBER, WIDTH)`: a number as big-endian bytes.
    EncodeInt {
        /// Width.
        width: IntWidth,
        /// The number.
        value: Box<Expression>,
    },
    /// `gethostbyname("NAME")`: the name's IPv4 addresses.
    HostLookup(String),
    /// `leased-address`.
    LeasedAddress,
    /// `filename`: the `filename` parameter in effect.
    Filename,
    /// `server-name`: the `server-name` parameter in effect.
    ServerName,
    /// `host-decl-name`: the name of the client's host declaration.
    HostDeclName,
    /// `null`: the empty value.
    Null,
    /// `gethostname()`: this machine's host name.
    Gethostname,
    /// `v6relay(HOPS, OPTION)`: an option from a DHCPv6 relay layer.
    V6Relay {
        /// Which relay layer.
        relay: Box<Expression>,
        /// The option data.
        option: Box<Expression>,
    },
    /// Sub-options of the named space, encoded (only made by option data
    /// parsing of an `E` format).
    Encapsulate(String),

    // ----- numbers --------------------------------------------------------
    /// `extract-int(DATA, WIDTH)`: a big-endian number from bytes.
    ExtractInt {
        /// Width.
        width: IntWidth,
        /// The bytes.
        data: Box<Expression>,
    },
    /// A decimal constant, as ISC stores it: C `atoi` of the token widened
    /// to an unsigned long (so `-1` is all ones).
    ConstInt(u64),
    /// `lease-time`: seconds left on the lease.
    LeaseTime,
    /// `client-state`: the DHCP client's state (dhclient only).
    ClientState,
    /// A DNS response-code constant.
    DnsRcode(DnsRcode),
    /// A client-state constant.
    ClientStateName(ClientStateName),

    // ----- run-time typed -------------------------------------------------
    /// A variable's value.
    Variable(String),
    /// `NAME(ARG, ...)`: a call of a function defined with `define`.
    Funcall {
        /// The function's name.
        name: String,
        /// Its arguments.
        args: Vec<Expression>,
    },
    /// The value of `define NAME (PARAMS) { BODY }`.
    Function {
        /// Parameter names.
        params: Vec<String>,
        /// The body.
        body: Vec<Statement>,
    },
}

impl Expression {
    /// True for expressions ISC classes as boolean (`is_boolean_expression`).
    pub fn is_boolean(&self) -> bool {
        match self {
            Expression::Check(_)
            | Expression::Exists(_)
            | Expression::VariableExists(_)
            | Expression::Not(_)
            | Expression::Known
            | Expression::Static => true,
            Expression::Binary { op, .. } => op.result_context() == ExprContext::Boolean,
            _ => false,
        }
    }

    /// True for expressions ISC classes as data (`is_data_expression`).
    pub fn is_data(&self) -> bool {
        matches!(
            self,
            Expression::Substring { .. }
                | Expression::Suffix { .. }
                | Expression::Lcase(_)
                | Expression::Ucase(_)
                | Expression::Option(_)
                | Expression::Hardware
                | Expression::ConstData(_)
                | Expression::Packet { .. }
                | Expression::Concat(..)
                | Expression::Encapsulate(_)
                | Expression::EncodeInt { .. }
                | Expression::HostLookup(_)
                | Expression::BinaryToAscii { .. }
                | Expression::Filename
                | Expression::ServerName
                | Expression::Reverse { .. }
                | Expression::PickFirstValue(_)
                | Expression::HostDeclName
                | Expression::LeasedAddress
                | Expression::ConfigOption(_)
                | Expression::Null
                | Expression::Gethostname
                | Expression::V6Relay { .. }
        )
    }

    /// True for expressions ISC classes as numeric (`is_numeric_expression`).
    pub fn is_numeric(&self) -> bool {
        match self {
            Expression::ExtractInt { .. }
            | Expression::ConstInt(_)
            | Expression::DnsRcode(_)
            | Expression::ClientStateName(_)
            | Expression::LeaseTime
            | Expression::ClientState => true,
            Expression::Binary { op, .. } => op.result_context() == ExprContext::Numeric,
            _ => false,
        }
    }

    /// True when the type is only known at run time: ISC accepts these
    /// wherever a particular type is expected.
    pub fn is_runtime_typed(&self) -> bool {
        matches!(self, Expression::Variable(_) | Expression::Funcall { .. })
    }

    /// What the expression yields (ISC `expression_context`).
    pub fn context(&self) -> ExprContext {
        if self.is_data() {
            ExprContext::Data
        } else if self.is_numeric() {
            ExprContext::Numeric
        } else if self.is_boolean() {
            ExprContext::Boolean
        } else {
            ExprContext::Any
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(op: BinaryOp) -> Expression {
        Expression::Binary {
            op,
            lhs: Box::new(Expression::ConstInt(1)),
            rhs: Box::new(Expression::ConstInt(2)),
        }
    }

    #[test]
    fn contexts_follow_isc_classes() {
        assert_eq!(Expression::Hardware.context(), ExprContext::Data);
        assert_eq!(Expression::LeaseTime.context(), ExprContext::Numeric);
        assert_eq!(Expression::DnsRcode(DnsRcode::NxDomain).context(), ExprContext::Numeric);
        assert_eq!(Expression::Known.context(), ExprContext::Boolean);
        assert_eq!(Expression::Variable("x".into()).context(), ExprContext::Any);
        assert_eq!(bin(BinaryOp::Equal).context(), ExprContext::Boolean);
        assert_eq!(bin(BinaryOp::BinaryXor).context(), ExprContext::Numeric);
        assert!(!Expression::Function {
            params: vec![],
            body: vec![]
        }
        .is_runtime_typed());
    }

    #[test]
    fn comparison_binds_tighter_than_arithmetic_like_isc() {
        assert!(BinaryOp::Multiply.precedence() < BinaryOp::Add.precedence());
        assert!(BinaryOp::Add.precedence() < BinaryOp::And.precedence());
        assert!(BinaryOp::And.precedence() < BinaryOp::Equal.precedence());
        assert!(BinaryOp::Equal.precedence() < BinaryOp::BinaryAnd.precedence());
    }
}
