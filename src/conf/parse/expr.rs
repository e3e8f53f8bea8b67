//! Data, numeric and boolean expressions (ISC `parse_expression` family).
//!
//! ISC parses an expression as a chain of operands ("non-binary"
//! subexpressions) joined by binary operators, recursing only when the next
//! operator binds tighter than the current one. Types are checked as the
//! chain is built, with the messages `dhcpd -t` prints. The order of token
//! tests, the messages and the recovery (which errors skip to `;` and which
//! leave the tokens for the caller) follow ISC, because they decide which
//! further errors `dhcpd -t` reports.
//!
//! Like ISC, every function here takes the caller's `lose` flag: `None` with
//! `lose` unset means "no expression starts here" (nothing reported, the
//! caller decides what to say), with `lose` set it means an error was
//! reported. Some callers pass a flag another call already set, so it is a
//! shared `&mut bool` rather than part of the return value.

use super::super::ast::{BinaryOp, ExprContext, Expression};
use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::parser::{PResult, Parser};

impl Parser<'_> {
    /// A boolean expression (ISC `parse_boolean_expression`), for callers
    /// outside this family (class `match if`): `(None, lose)` when none
    /// could be parsed.
    pub(crate) fn parse_boolean_expression(&mut self) -> PResult<(Option<Expression>, bool)> {
        let mut lose = false;
        let e = self.boolean_expression(&mut lose)?;
        Ok((e, lose))
    }

    /// A data expression (ISC `parse_data_expression`), for callers outside
    /// this family: `(None, lose)` when none could be parsed.
    pub(crate) fn parse_data_expression(&mut self) -> PResult<(Option<Expression>, bool)> {
        let mut lose = false;
        let e = self.data_expression(&mut lose)?;
        Ok((e, lose))
    }

    /// ISC `parse_boolean_expression`: an expression that must be boolean
    /// or of run-time type.
    pub(crate) fn boolean_expression(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.typed_expression(lose, ExprContext::Boolean, "Expecting a boolean expression.")
    }

    /// ISC `parse_data_expression`.
    pub(crate) fn data_expression(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.typed_expression(lose, ExprContext::Data, "Expecting a data expression.")
    }

    /// ISC `parse_numeric_expression`.
    pub(crate) fn numeric_expression(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.typed_expression(lose, ExprContext::Numeric, "Expecting a numeric expression.")
    }

    fn typed_expression(&mut self, lose: &mut bool, ctx: ExprContext, wrong_type: &str) -> PResult<Option<Expression>> {
        let Some(e) = self.expression(lose, ctx, None)? else {
            return Ok(None);
        };
        let fits = match ctx {
            ExprContext::Boolean => e.is_boolean(),
            ExprContext::Data => e.is_data(),
            _ => e.is_numeric(),
        };
        if !fits && !e.is_runtime_typed() {
            self.parse_warn(wrong_type);
            *lose = true;
            return Ok(None);
        }
        Ok(Some(e))
    }

    /// ISC `parse_expression`: operands joined by binary operators. `pending`
    /// is a left operand and its operator already read by a caller that
    /// found this operator binds tighter than its own.
    pub(crate) fn expression(
        &mut self,
        lose: &mut bool,
        mut ctx: ExprContext,
        mut pending: Option<(Expression, BinaryOp)>,
    ) -> PResult<Option<Expression>> {
        loop {
            let Some(mut rhs) = self.non_binary(lose, ctx)? else {
                if pending.is_some() && !*lose {
                    self.parse_warn("expecting right-hand side.");
                    *lose = true;
                    self.skip_to_semi()?;
                }
                return Ok(None);
            };

            let Ok(next_op) = self.peek_binary_operator(lose)? else {
                // A bad operator, reported (ISC returns 0 there; it does
                // not read `lose`, which a caller may hand in non-zero).
                return Ok(None);
            };
            let Some(next_op) = next_op else {
                // No operator follows: this operand ends the expression.
                return Ok(Some(match pending {
                    None => rhs,
                    Some((lhs, op)) => match self.check_operands(lose, op, &lhs, &rhs)? {
                        true => binary(op, lhs, rhs),
                        false => return Ok(None),
                    },
                }));
            };
            ctx = rhs.context();

            let Some((lhs, op)) = pending.take() else {
                self.skip_token()?;
                pending = Some((rhs, next_op));
                continue;
            };

            let mut ends_here = false;
            if op.precedence() < next_op.precedence() {
                // The operator after `rhs` binds tighter: `rhs` is its left
                // operand, and the rest of the expression belongs to it.
                self.skip_token()?;
                match self.expression(lose, next_op.operand_context(), Some((rhs, next_op)))? {
                    Some(e) => rhs = e,
                    None => {
                        if !*lose {
                            self.parse_warn("expecting a subexpression");
                            *lose = true;
                        }
                        return Ok(None);
                    }
                }
                ends_here = true;
            }
            if !self.check_operands(lose, op, &lhs, &rhs)? {
                return Ok(None);
            }
            if ends_here {
                return Ok(Some(binary(op, lhs, rhs)));
            }
            self.skip_token()?;
            pending = Some((binary(op, lhs, rhs), next_op));
        }
    }

    /// Looks at the token after an operand: `Some(op)` when it is a binary
    /// operator, left pending (ISC consumes the first character of `!=`,
    /// `~=` and `~~` here and the second later). `None` with `lose` set when
    /// `!` or `~` is not followed by what ISC expects.
    fn peek_binary_operator(&mut self, lose: &mut bool) -> PResult<Result<Option<BinaryOp>, ()>> {
        let op = match self.peek_token()? {
            Token::Punct(b'!') => {
                self.skip_token()?;
                if !self.peek_token()?.is(b'=') {
                    self.parse_warn("! in boolean context without =");
                    *lose = true;
                    self.skip_to_semi()?;
                    return Ok(Err(()));
                }
                BinaryOp::NotEqual
            }
            Token::Punct(b'~') => {
                self.skip_token()?;
                match self.peek_token()? {
                    Token::Punct(b'~') => BinaryOp::IRegexMatch,
                    Token::Punct(b'=') => BinaryOp::RegexMatch,
                    _ => {
                        self.parse_warn("expecting ~= or ~~ operator");
                        *lose = true;
                        self.skip_to_semi()?;
                        return Ok(Err(()));
                    }
                }
            }
            Token::Punct(b'=') => BinaryOp::Equal,
            Token::Kw(K::And) => BinaryOp::And,
            Token::Kw(K::Or) => BinaryOp::Or,
            Token::Punct(b'+') => BinaryOp::Add,
            // The lexer never returns `-` as punctuation (it starts a
            // number), so like ISC's subtraction is unreachable in practice.
            Token::Punct(b'-') => BinaryOp::Subtract,
            Token::Punct(b'/') => BinaryOp::Divide,
            Token::Punct(b'*') => BinaryOp::Multiply,
            Token::Punct(b'%') => BinaryOp::Remainder,
            Token::Punct(b'&') => BinaryOp::BinaryAnd,
            Token::Punct(b'|') => BinaryOp::BinaryOr,
            Token::Punct(b'^') => BinaryOp::BinaryXor,
            _ => return Ok(Ok(None)),
        };
        Ok(Ok(Some(op)))
    }

    /// ISC's type checks when it joins two operands: both of one type (or
    /// of run-time type), and the type the operator needs on its right.
    fn check_operands(&mut self, lose: &mut bool, op: BinaryOp, lhs: &Expression, rhs: &Expression) -> PResult<bool> {
        let rc = rhs.context();
        let lc = lhs.context();
        let message = if rc != ExprContext::Any && lc != ExprContext::Any && rc != lc {
            Some("illegal expression relating different types")
        } else {
            match op {
                BinaryOp::Equal | BinaryOp::NotEqual => match rc {
                    ExprContext::DataOrNumeric | ExprContext::Data | ExprContext::Numeric | ExprContext::Any => None,
                    ExprContext::Boolean => Some("expecting data/numeric expression"),
                },
                // ISC checks only the case-sensitive match, and wants data
                // even where a variable could hold it.
                BinaryOp::RegexMatch => (rc != ExprContext::Data).then_some("expecting data expression"),
                BinaryOp::IRegexMatch => None,
                BinaryOp::And | BinaryOp::Or => {
                    (rc != ExprContext::Boolean && rc != ExprContext::Any).then_some("expecting boolean expressions")
                }
                _ => (rc != ExprContext::Numeric && rc != ExprContext::Any).then_some("expecting numeric expressions"),
            }
        };
        if let Some(m) = message {
            self.parse_warn(m);
            self.skip_to_semi()?;
            *lose = true;
            return Ok(false);
        }
        Ok(true)
    }
}

fn binary(op: BinaryOp, lhs: Expression, rhs: Expression) -> Expression {
    Expression::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    }
}
