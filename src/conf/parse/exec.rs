//! Executable statements: `set`/`define`/`unset`/`eval`/`return`,
//! `log`, `execute`, `add`, `break`, option settings (`option`,
//! `supersede`, `default`, `append`, `prepend`, `send`), `allow`/`deny`/
//! `ignore`, `db-time-format`, `key` and `zone`, and the fallback where a
//! server parameter (`default-lease-time 600;`) is an option of ISC's
//! `server` space — ISC `parse_executable_statement`. Blocks (`if`, `on`,
//! `switch`, `case`) are in `exec_blocks.rs`.
//!
//! Return values follow ISC's: `None` is its 0 ("no statement"; `lose`
//! says whether an error was reported), `Some(None)` a statement that
//! leaves nothing to run (ISC returns 1 without one), `Some(Some(s))` a
//! statement.
//!
//! Every statement has its own method and the dispatcher only calls them:
//! statement blocks recurse through the dispatcher, and keeping its frame
//! small is what lets deeply nested blocks reach the nesting limit without
//! exhausting the stack.

use super::super::ast::{Binding, ExprContext, Expression, LogPriority, Statement};
use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::DbTimeFormat;
use super::super::parser::{PResult, Parser};
use super::option::OptionOp;

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

/// What one statement parse produced (ISC's return value and `*result`).
pub(crate) type Parsed = Option<Option<Statement>>;

impl Parser<'_> {
    /// Parses one executable statement (ISC `parse_executable_statement`).
    ///
    /// Returns `(None, lose)` when no statement could be parsed (`lose` says
    /// an error was already reported), `(Some(None), _)` when the statement
    /// was handled without producing one (e.g. a `key` declaration), and
    /// `(Some(Some(s)), _)` otherwise.
    pub(crate) fn parse_executable_statement(&mut self, ctx: CaseContext) -> PResult<(Parsed, bool)> {
        self.enter()?;
        let r = self.parse_executable_statement_inner(ctx);
        self.leave();
        r
    }

    fn parse_executable_statement_inner(&mut self, ctx: CaseContext) -> PResult<(Parsed, bool)> {
        let mut lose = false;
        let parsed = self.executable_statement(&mut lose, ctx)?;
        Ok((parsed, lose))
    }

    /// ISC `parse_executable_statement` with the caller's `lose` flag.
    pub(crate) fn executable_statement(&mut self, lose: &mut bool, ctx: CaseContext) -> PResult<Parsed> {
        let token = self.peek_token()?;
        let Token::Kw(kw) = token else {
            return self.parameter_or_call(lose, token);
        };
        match kw {
            K::DbTimeFormat => self.db_time_format(lose),
            K::If => self.if_keyword(lose),
            K::Add => self.add_statement(lose),
            K::Break => self.break_statement(lose),
            K::Send => self.option_setting(lose, OptionOp::Send),
            K::Supersede | K::Option => self.option_setting(lose, OptionOp::Supersede),
            K::Prepend => self.option_setting(lose, OptionOp::Prepend),
            K::Append => self.option_setting(lose, OptionOp::Append),
            K::Default => self.default_keyword(lose, ctx),
            K::Allow | K::Deny | K::Ignore => self.permit_statement(kw),
            K::On => self.on_keyword(lose),
            K::Switch => self.switch_keyword(lose),
            K::Case => self.case_keyword(lose, ctx),
            K::Define => self.set_statement(lose, Binding::Define, ctx),
            K::Set => self.set_statement(lose, Binding::Set, ctx),
            K::Unset => self.unset_statement(lose),
            K::Eval => self.eval_statement(lose),
            K::Execute => self.execute_statement(lose),
            K::Return => self.return_statement(lose),
            K::Log => self.log_statement(lose),
            K::ParseVendorOpt => self.parse_vendor_option(lose),
            K::Zone => self.zone_statement(lose),
            K::Key => self.key_statement(lose),
            _ => self.parameter_or_call(lose, token),
        }
    }

    /// ISC's `default:` branch: an option of the `server` space written as
    /// a parameter (`default-lease-time 600;`), else a bare expression such
    /// as a function call, else nothing.
    fn parameter_or_call(&mut self, lose: &mut bool, token: Token) -> PResult<Parsed> {
        if let Some(st) = self.parse_config_option_statement()? {
            return Ok(st.map(Some));
        }
        if token == Token::Name || token == Token::NumberOrName {
            // ISC treats it as a data expression evaluated for its effect.
            let Some(e) = self.expression(lose, ExprContext::Data, None)? else {
                self.missing_expression(lose, "expecting function call.")?;
                return Ok(None);
            };
            if !self.parse_semi()? {
                *lose = true;
                return Ok(None);
            }
            return Ok(Some(Some(Statement::Eval(e))));
        }
        *lose = false;
        Ok(None)
    }

    /// After an expression failed where a statement needed one: ISC reports
    /// `message` unless something was reported already, and skips the
    /// statement either way. (When it reports, it leaves `lose` unset, so
    /// a top-level caller adds its own message.)
    fn missing_expression(&mut self, lose: &mut bool, message: &str) -> PResult<()> {
        if !*lose {
            self.parse_warn(message);
        }
        self.skip_to_semi()
    }

    /// `db-time-format default|local;`: how lease times are written.
    fn db_time_format(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        let t = self.next_token()?;
        let format = match t {
            Token::Kw(K::Default) => DbTimeFormat::Default,
            Token::Kw(K::Local) => DbTimeFormat::Local,
            _ => {
                self.parse_warn("Expecting 'local' or 'default'.");
                if !t.is(b';') {
                    self.skip_to_semi()?;
                }
                *lose = true;
                return Ok(None);
            }
        };
        if !self.next_token()?.is(b';') {
            self.parse_warn("Expecting a semicolon.");
            *lose = true;
            return Ok(None);
        }
        self.config.db_time_format = format;
        Ok(Some(None))
    }

    fn if_keyword(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        Ok(self.parse_if_statement(lose)?.map(Some))
    }

    fn on_keyword(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        Ok(self.parse_on_statement(lose)?.map(Some))
    }

    fn switch_keyword(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        Ok(self.parse_switch_statement(lose)?.map(Some))
    }

    /// `case` is only allowed inside a switch body.
    fn case_keyword(&mut self, lose: &mut bool, ctx: CaseContext) -> PResult<Parsed> {
        self.skip_token()?;
        if ctx == CaseContext::Any {
            self.parse_warn("case statement in inappropriate scope.");
            *lose = true;
            self.skip_to_semi()?;
            return Ok(None);
        }
        Ok(self.parse_case_statement(lose, ctx)?.map(Some))
    }

    /// `add "CLASS";`: the class must already be declared.
    fn add_statement(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        if self.next_token()? != Token::String {
            self.parse_warn("expecting class name.");
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        let name = self.val();
        if self.find_class(&name).is_none() {
            self.parse_warn(format!("class {}: not found", name));
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        if !self.parse_semi()? {
            *lose = true;
            return Ok(None);
        }
        Ok(Some(Some(Statement::Add(name))))
    }

    /// `break;`.
    fn break_statement(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        if !self.parse_semi()? {
            *lose = true;
            return Ok(None);
        }
        Ok(Some(Some(Statement::Break)))
    }

    /// `allow`/`deny`/`ignore`: a failed permit leaves `lose` as it was,
    /// like ISC.
    fn permit_statement(&mut self, kw: K) -> PResult<Parsed> {
        self.skip_token()?;
        Ok(self.parse_allow_deny(kw)?.map(Some))
    }

    /// `default:` in a switch, or `default OPTION VALUE;`.
    fn default_keyword(&mut self, lose: &mut bool, ctx: CaseContext) -> PResult<Parsed> {
        self.skip_token()?;
        if !self.peek_token()?.is(b':') {
            return self.option_setting_after_keyword(lose, OptionOp::Default);
        }
        self.skip_token()?;
        if ctx == CaseContext::Any {
            self.parse_warn("switch default statement in inappropriate scope.");
            *lose = true;
            return Ok(None);
        }
        Ok(Some(Some(Statement::SwitchDefault)))
    }

    /// An option setting after its keyword (`option`, `supersede`, ...).
    fn option_setting(&mut self, lose: &mut bool, op: OptionOp) -> PResult<Parsed> {
        self.skip_token()?;
        self.option_setting_after_keyword(lose, op)
    }

    fn option_setting_after_keyword(&mut self, lose: &mut bool, op: OptionOp) -> PResult<Parsed> {
        let Some((option, _known)) = self.parse_option_name(false)? else {
            *lose = true;
            return Ok(None);
        };
        // A bad value is reported by the option family; ISC leaves `lose`
        // alone, so the caller may add its own message.
        Ok(self.parse_option_statement(option, true, op)?.map(Some))
    }

    /// `set`/`define NAME = EXPR;` or `set`/`define NAME (ARGS) { ... }`.
    fn set_statement(&mut self, lose: &mut bool, binding: Binding, ctx: CaseContext) -> PResult<Parsed> {
        self.skip_token()?;
        let Some(name) = self.variable_name(lose)? else {
            return Ok(None);
        };
        let t = self.next_token()?;
        if t.is(b'(') {
            return self.function_definition(lose, binding, name, ctx);
        }
        if !t.is(b'=') {
            let keyword = if binding == Binding::Define { "define" } else { "set" };
            self.parse_warn(format!("expecting '=' in {} statement.", keyword));
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        let Some(value) = self.expression(lose, ExprContext::Any, None)? else {
            self.missing_expression(lose, "expecting expression.")?;
            return Ok(None);
        };
        if !self.parse_semi()? {
            *lose = true;
            return Ok(None);
        }
        Ok(Some(Some(Statement::Set { binding, name, value })))
    }

    /// The variable name after `set`, `define` or `unset`.
    fn variable_name(&mut self, lose: &mut bool) -> PResult<Option<String>> {
        let t = self.next_token()?;
        if t != Token::Name && t != Token::NumberOrName {
            let v = self.val();
            self.parse_warn(format!("{} can't be a variable name", v));
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        Ok(Some(self.val()))
    }

    /// `define NAME (A, B) { ... }` after the `(`.
    fn function_definition(
        &mut self,
        lose: &mut bool,
        binding: Binding,
        name: String,
        ctx: CaseContext,
    ) -> PResult<Parsed> {
        let mut params = Vec::new();
        let end = loop {
            let t = self.next_token()?;
            if t.is(b')') {
                break t;
            }
            if t != Token::Name && t != Token::NumberOrName {
                self.parse_warn("expecting argument name");
                self.skip_to_rbrace(0)?;
                *lose = true;
                return Ok(None);
            }
            params.push(self.val());
            let t = self.next_token()?;
            if !t.is(b',') {
                break t;
            }
        };
        if !end.is(b')') {
            self.parse_warn("expecting right paren.");
            return self.bad_function(lose);
        }
        if !self.next_token()?.is(b'{') {
            self.parse_warn("expecting left brace.");
            return self.bad_function(lose);
        }
        // The body keeps the caller's switch context, as in ISC.
        let Some(body) = self.parse_executable_statements(lose, ctx)? else {
            return self.bad_function(lose);
        };
        if !self.next_token()?.is(b'}') {
            // ISC's own spelling.
            self.parse_warn("expecting rigt brace.");
            return self.bad_function(lose);
        }
        let value = Expression::Function { params, body };
        Ok(Some(Some(Statement::Set { binding, name, value })))
    }

    fn bad_function(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_to_semi()?;
        *lose = true;
        Ok(None)
    }

    /// `unset NAME;`.
    fn unset_statement(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        let Some(name) = self.variable_name(lose)? else {
            return Ok(None);
        };
        if !self.parse_semi()? {
            *lose = true;
            return Ok(None);
        }
        Ok(Some(Some(Statement::Unset(name))))
    }

    /// `eval EXPR;`.
    fn eval_statement(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        let Some(e) = self.expression(lose, ExprContext::Data, None)? else {
            self.missing_expression(lose, "expecting data expression.")?;
            return Ok(None);
        };
        if !self.parse_semi()? {
            // ISC drops the statement but still reports success.
            *lose = true;
            return Ok(Some(None));
        }
        Ok(Some(Some(Statement::Eval(e))))
    }

    /// `return EXPR;`.
    fn return_statement(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        let Some(e) = self.expression(lose, ExprContext::Data, None)? else {
            self.missing_expression(lose, "expecting data expression.")?;
            return Ok(None);
        };
        if !self.parse_semi()? {
            *lose = true;
            return Ok(None);
        }
        Ok(Some(Some(Statement::Return(e))))
    }

    /// `execute("COMMAND" [, DATA ...]);`.
    fn execute_statement(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        if !self.next_token()?.is(b'(') {
            return self.abandon(lose, "left parenthesis expected.");
        }
        if self.next_token()? != Token::String {
            return self.abandon(lose, "Expecting a quoted string.");
        }
        let command = self.val();
        let mut args = Vec::new();
        let mut t = self.next_token()?;
        while t.is(b',') {
            let Some(arg) = self.data_expression(lose)? else {
                if !*lose {
                    self.parse_warn("expecting expression.");
                }
                self.skip_to_semi()?;
                *lose = true;
                return Ok(None);
            };
            args.push(arg);
            t = self.next_token()?;
        }
        if !t.is(b')') {
            return self.abandon(lose, "right parenthesis expected.");
        }
        if !self.parse_semi()? {
            // ISC drops the statement but still reports success.
            *lose = true;
            return Ok(Some(None));
        }
        Ok(Some(Some(Statement::Execute { command, args })))
    }

    /// `log([fatal|error|info|debug,] DATA);`.
    fn log_statement(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        if !self.next_token()?.is(b'(') {
            return self.abandon(lose, "left parenthesis expected.");
        }
        let given = match self.peek_token()? {
            Token::Kw(K::Fatal) => Some(LogPriority::Fatal),
            Token::Kw(K::Error) => Some(LogPriority::Error),
            Token::Kw(K::Debug) => Some(LogPriority::Debug),
            Token::Kw(K::Info) => Some(LogPriority::Info),
            _ => None,
        };
        if given.is_some() {
            self.skip_token()?;
            if !self.next_token()?.is(b',') {
                return self.abandon(lose, "comma expected.");
            }
        }
        let Some(message) = self.data_expression(lose)? else {
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        };
        if !self.next_token()?.is(b')') {
            return self.abandon(lose, "right parenthesis expected.");
        }
        if !self.next_token()?.is(b';') {
            return self.abandon(lose, "semicolon expected.");
        }
        let priority = given.unwrap_or(LogPriority::Debug);
        Ok(Some(Some(Statement::Log { priority, message })))
    }

    /// Reports `message`, skips the statement and fails it.
    fn abandon(&mut self, lose: &mut bool, message: &str) -> PResult<Parsed> {
        self.parse_warn(message);
        self.skip_to_semi()?;
        *lose = true;
        Ok(None)
    }

    /// `parse-vendor-option;`.
    fn parse_vendor_option(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        if !self.parse_semi()? {
            *lose = true;
            return Ok(None);
        }
        Ok(Some(Some(Statement::ParseVendorOption)))
    }

    /// `zone NAME { ... }`: a declaration ISC accepts wherever a statement
    /// may stand; it leaves no statement behind.
    fn zone_statement(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        if !self.parse_zone_declaration()? {
            *lose = true;
            return Ok(None);
        }
        Ok(Some(None))
    }

    /// `key NAME { ... }`: like `zone`.
    fn key_statement(&mut self, lose: &mut bool) -> PResult<Parsed> {
        self.skip_token()?;
        if !self.parse_key_declaration()? {
            *lose = true;
            return Ok(None);
        }
        Ok(Some(None))
    }
}
