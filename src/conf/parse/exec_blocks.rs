//! Statement blocks: statement lists, `if`/`elsif`/`else`, `on EVENT`,
//! `switch` and `case` (ISC `parse_executable_statements`,
//! `parse_if_statement`, `parse_on_statement`, `parse_switch_statement`,
//! `parse_case_statement`).
//!
//! The recovery after an error inside a block differs per construct in ISC
//! (an `if` or `on` body eats tokens up to the next `}`, a `switch` body
//! skips to its closing brace, an `else` body does nothing) and decides
//! which later errors `dhcpd -t` reports, so each is kept as ISC has it.

use super::super::ast::{ExprContext, IfStatement, LeaseEvents, OnStatement, Statement, SwitchStatement};
use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::parser::{Fatal, PResult, Parser};
use super::exec::CaseContext;

/// Keywords whose statement ISC allocates before reading anything else:
/// after a statement that returned success without a statement, these
/// write through ISC's dangling list pointer at once.
fn allocates_first(token: Token, ctx: CaseContext) -> bool {
    match token {
        Token::Kw(K::If | K::On | K::Switch | K::Log | K::Eval | K::Return | K::Execute) => true,
        Token::Kw(K::Case) => ctx != CaseContext::Any,
        _ => false,
    }
}

impl Parser<'_> {
    /// Statements up to the first token that starts none (ISC
    /// `parse_executable_statements`). `None` when one failed with `lose`.
    pub(crate) fn parse_executable_statements(
        &mut self,
        lose: &mut bool,
        ctx: CaseContext,
    ) -> PResult<Option<Vec<Statement>>> {
        self.enter()?;
        let r = self.statement_list(lose, ctx);
        self.leave();
        r
    }

    fn statement_list(&mut self, lose: &mut bool, ctx: CaseContext) -> PResult<Option<Vec<Statement>>> {
        let mut list = Vec::new();
        // ISC links each statement to the previous one through the previous
        // one's `next` field; a statement that succeeds without producing one
        // (`key`, `zone`, `db-time-format`, an `eval` missing its `;`)
        // leaves that pointer invalid, and dhcpd crashes when the next
        // statement in the list is stored.
        let mut dangling = false;
        loop {
            if dangling && allocates_first(self.peek_token()?, ctx) {
                return Err(isc_crash(DANGLING));
            }
            match self.executable_statement(lose, ctx)? {
                None => break,
                Some(_) if dangling => return Err(isc_crash(DANGLING)),
                Some(None) => dangling = true,
                Some(Some(st)) => list.push(st),
            }
        }
        Ok(if *lose { None } else { Some(list) })
    }

    /// After `if` (ISC `parse_if_statement`); also parses `elsif`/`else`.
    pub(crate) fn parse_if_statement(&mut self, lose: &mut bool) -> PResult<Option<Statement>> {
        let parenthesised = self.peek_token()?.is(b'(');
        if parenthesised {
            self.skip_token()?;
        }
        let Some(condition) = self.boolean_expression(lose)? else {
            if !*lose {
                self.parse_warn("boolean expression expected.");
            }
            *lose = true;
            return Ok(None);
        };
        if parenthesised && !self.next_token()?.is(b')') {
            self.parse_warn("expecting right paren.");
            *lose = true;
            return Ok(None);
        }
        let Some(then) = self.braced_body(lose)? else {
            return Ok(None);
        };
        let Some(otherwise) = self.else_branch(lose)? else {
            return Ok(None);
        };
        Ok(Some(Statement::If(IfStatement {
            condition,
            then,
            otherwise,
        })))
    }

    /// What follows an `if` block: `else { ... }`, `else if ...`,
    /// `elsif ...` or nothing. `None` when it failed.
    fn else_branch(&mut self, lose: &mut bool) -> PResult<Option<Vec<Statement>>> {
        match self.peek_token()? {
            Token::Kw(K::Else) => {
                self.skip_token()?;
                match self.peek_token()? {
                    Token::Kw(K::If) => {
                        self.skip_token()?;
                        self.chained_if(lose, "expecting if statement")
                    }
                    t if !t.is(b'{') => {
                        self.parse_warn("left brace or if expected.");
                        self.skip_to_semi()?;
                        *lose = true;
                        Ok(None)
                    }
                    _ => {
                        self.skip_token()?;
                        // An error in the else block gets no extra recovery.
                        let Some(body) = self.parse_executable_statements(lose, CaseContext::Any)? else {
                            return Ok(None);
                        };
                        if !self.next_token()?.is(b'}') {
                            return self.right_brace_expected(lose);
                        }
                        Ok(Some(body))
                    }
                }
            }
            Token::Kw(K::Elsif) => {
                self.skip_token()?;
                self.chained_if(lose, "expecting conditional.")
            }
            _ => Ok(Some(Vec::new())),
        }
    }

    /// The `if` after `else if` or `elsif`, as the else branch.
    fn chained_if(&mut self, lose: &mut bool, message: &str) -> PResult<Option<Vec<Statement>>> {
        if let Some(st) = self.parse_if_statement(lose)? {
            return Ok(Some(vec![st]));
        }
        if !*lose {
            self.parse_warn(message);
        }
        *lose = true;
        Ok(None)
    }

    /// `{ statements }` of an `if` or `on`: after an error inside, ISC eats
    /// tokens up to the next `}` (or the end of the file).
    fn braced_body(&mut self, lose: &mut bool) -> PResult<Option<Vec<Statement>>> {
        if !self.next_token()?.is(b'{') {
            self.parse_warn("left brace expected.");
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        self.rest_of_body(lose)
    }

    fn rest_of_body(&mut self, lose: &mut bool) -> PResult<Option<Vec<Statement>>> {
        let Some(body) = self.parse_executable_statements(lose, CaseContext::Any)? else {
            loop {
                let t = self.next_token()?;
                if t == Token::Eof || t.is(b'}') {
                    break;
                }
            }
            return Ok(None);
        };
        if !self.next_token()?.is(b'}') {
            return self.right_brace_expected(lose);
        }
        Ok(Some(body))
    }

    fn right_brace_expected<T>(&mut self, lose: &mut bool) -> PResult<Option<T>> {
        self.parse_warn("right brace expected.");
        self.skip_to_semi()?;
        *lose = true;
        Ok(None)
    }

    /// After `on` (ISC `parse_on_statement`).
    pub(crate) fn parse_on_statement(&mut self, lose: &mut bool) -> PResult<Option<Statement>> {
        let mut events = LeaseEvents::default();
        let t = loop {
            match self.next_token()? {
                Token::Kw(K::Expiry) => events.expiry = true,
                Token::Kw(K::Commit) => events.commit = true,
                Token::Kw(K::Release) => events.release = true,
                Token::Kw(K::Transmission) => events.transmission = true,
                _ => {
                    self.parse_warn("expecting a lease event type");
                    self.skip_to_semi()?;
                    *lose = true;
                    return Ok(None);
                }
            }
            let t = self.next_token()?;
            if t != Token::Kw(K::Or) {
                break t;
            }
        };
        if t.is(b';') {
            return Ok(Some(Statement::On(OnStatement {
                events,
                body: Vec::new(),
            })));
        }
        if !t.is(b'{') {
            self.parse_warn("left brace expected.");
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        let Some(body) = self.rest_of_body(lose)? else {
            return Ok(None);
        };
        Ok(Some(Statement::On(OnStatement { events, body })))
    }

    /// After `switch` (ISC `parse_switch_statement`).
    pub(crate) fn parse_switch_statement(&mut self, lose: &mut bool) -> PResult<Option<Statement>> {
        if !self.next_token()?.is(b'(') {
            // ISC's message, although it wants a parenthesis.
            self.parse_warn("expecting left brace.");
            return self.abandon_switch(lose);
        }
        let Some(value) = self.expression(lose, ExprContext::DataOrNumeric, None)? else {
            if !*lose {
                self.parse_warn("expecting data or numeric expression.");
                return self.abandon_switch(lose);
            }
            return Ok(None);
        };
        if !self.next_token()?.is(b')') {
            self.parse_warn("right paren expected.");
            return self.abandon_switch(lose);
        }
        if !self.next_token()?.is(b'{') {
            self.parse_warn("left brace expected.");
            return self.abandon_switch(lose);
        }
        // Only a data expression makes `case` labels data; anything else,
        // a variable included, makes them numeric.
        let ctx = if value.is_data() {
            CaseContext::Data
        } else {
            CaseContext::Numeric
        };
        let Some(body) = self.parse_executable_statements(lose, ctx)? else {
            self.skip_to_rbrace(1)?;
            return Ok(None);
        };
        if !self.next_token()?.is(b'}') {
            self.parse_warn("right brace expected.");
            return self.abandon_switch(lose);
        }
        Ok(Some(Statement::Switch(SwitchStatement { value, body })))
    }

    fn abandon_switch(&mut self, lose: &mut bool) -> PResult<Option<Statement>> {
        *lose = true;
        self.skip_to_semi()?;
        Ok(None)
    }

    /// After `case` inside a switch (ISC `parse_case_statement`).
    pub(crate) fn parse_case_statement(&mut self, lose: &mut bool, ctx: CaseContext) -> PResult<Option<Statement>> {
        let (expr_ctx, kind) = match ctx {
            CaseContext::Data => (ExprContext::Data, "data"),
            _ => (ExprContext::Numeric, "numeric"),
        };
        let Some(label) = self.expression(lose, expr_ctx, None)? else {
            if !*lose {
                self.parse_warn(format!("expecting {} expression.", kind));
            }
            return self.abandon_switch(lose);
        };
        if !self.next_token()?.is(b':') {
            self.parse_warn("colon expected.");
            return self.abandon_switch(lose);
        }
        Ok(Some(Statement::Case(label)))
    }
}

/// Why ISC crashes after a statement that left no statement behind.
const DANGLING: &str = "a statement follows a key, zone or db-time-format statement (or an eval or execute \
                        missing its semicolon) inside a block";

/// ISC dhcpd 4.4 dereferences an invalid or null pointer on some inputs and
/// dies with a segmentation fault, printing nothing more. A drop-in
/// replacement must refuse those configurations too; we say why.
pub(super) fn isc_crash(reason: &str) -> Fatal {
    Fatal(format!("ISC dhcpd crashes on this configuration: {}", reason))
}
