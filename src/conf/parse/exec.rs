//! Executable statements: server parameters (`default-lease-time 600;`),
//! `if`/`elsif`/`else`, `switch`/`case`, `set`/`unset`/`define`/`eval`,
//! `on commit|release|expiry`, `log`, `execute`, `key`, `zone`, ...
//!
//! UNFINISHED: only reports "not supported yet".

use super::super::ast::Statement;
use super::super::parser::{PResult, Parser};

/// Where a statement is parsed: ISC only allows `case`/`default` inside a
/// `switch` body of the matching data or numeric kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseContext {
    /// Outside any switch.
    Any,
    /// Inside a switch over a data expression.
    Data,
    /// Inside a switch over a numeric expression.
    Numeric,
}

impl Parser<'_> {
    /// Parses one executable statement (ISC `parse_executable_statement`).
    ///
    /// Returns `(None, lose)` when no statement could be parsed (`lose` says
    /// an error was already reported), `(Some(None), _)` when the statement
    /// was handled without producing one (e.g. a `key` declaration), and
    /// `(Some(Some(s)), _)` otherwise.
    pub(crate) fn parse_executable_statement(&mut self, _ctx: CaseContext) -> PResult<(Option<Option<Statement>>, bool)> {
        self.unfinished("statement")?;
        Ok((Some(None), true))
    }
}
