//! Stand-ins for grammar owned by another family, so the declarations
//! compile and run on their own branch before that family merges.
//!
//! Each stand-in names the function it stands for, reports the construct as
//! not supported yet and skips it, like the skeleton's other placeholders.
//! When the expression family lands, the lead deletes this file; the
//! signature here says what the class `match if` call site needs.

use super::super::ast::Expression;
use super::super::parser::{PResult, Parser};

impl Parser<'_> {
    /// Stands for ISC `parse_boolean_expression`: `(expression, lose)`.
    pub(crate) fn parse_boolean_expression(&mut self) -> PResult<(Option<Expression>, bool)> {
        self.unfinished("boolean expression")?;
        Ok((None, true))
    }
}
