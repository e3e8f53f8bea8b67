//! Statements and expressions as written in a scope.
//!
//! ISC keeps everything inside a scope that is not a declaration — option
//! settings, server parameters such as `default-lease-time`, and executable
//! statements (`if`, `set`, `log`, ...) — as one list of executable
//! statements evaluated in order. We keep the same shape.

/// One statement in a scope, in source order.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// An option setting (`option`, `supersede`, `default`, `append`, `prepend`, `send`).
    Option(crate::conf::parse::option::OptionStatement),
    /// A statement family not modelled yet, kept as its keyword for reporting.
    Unmodelled(String),
}

/// An expression (data, numeric or boolean), as ISC's expression tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Expression {
    /// Constant bytes.
    Const(Vec<u8>),
}
