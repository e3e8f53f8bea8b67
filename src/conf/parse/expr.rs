//! Data, numeric and boolean expressions (ISC `parse_expression` family).
//!
//! UNFINISHED.

use super::super::ast::Expression;
use super::super::parser::{PResult, Parser};

impl Parser<'_> {
    /// A data expression (ISC `parse_data_expression`): `(None, lose)` when
    /// none could be parsed, `lose` meaning an error was already reported.
    pub(crate) fn parse_data_expression(&mut self) -> PResult<(Option<Expression>, bool)> {
        self.unfinished("expression")?;
        Ok((None, true))
    }
}
