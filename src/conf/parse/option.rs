//! Option settings (`option NAME VALUE;`, `server-identifier A;`, and the
//! `supersede`/`default`/`append`/`prepend`/`send` forms and server
//! parameters the executable-statement parser hands over), option names,
//! and the statement-level glue to option spaces and definitions.
//!
//! Values are checked against the option's ISC format string, walked one
//! letter at a time the way ISC's `parse_option_data`/`parse_option_token`
//! do (`option_value.rs`), so that a value ISC rejects is rejected here
//! with the same message at the same token. `option space` and `option
//! NAME code N = TYPE` live in `option_def.rs`, the catalog glue in
//! `option_names.rs`.

use super::super::ast::Statement;
use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{Config, GroupId, ScopeKind};
use super::super::parser::{Fatal, PResult, Parser};
use crate::options::format::UNKNOWN_OPTION_FORMAT;
use crate::options::{OptionId, SpaceId};

/// Our fatal message for a configuration on which ISC 4.4.3 crashes (it
/// dies with SIGSEGV, exit status 139, printing nothing): a drop-in
/// replacement must refuse it too, and says why.
pub const ISC_CRASH: &str =
    "ISC dhcpd crashes on this configuration: an option statement without a value in the global scope";

/// Which option a statement sets: a snapshot of its definition when the
/// statement was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionRef {
    /// Option space name as ISC prints it (`dhcp`, `agent`, `server`, ...).
    pub space: String,
    /// The space in the parser's option catalog.
    pub space_id: SpaceId,
    /// Code inside the space.
    pub code: u32,
    /// Name as defined (or as written, for `unknown-N`).
    pub name: String,
    /// ISC format string of the value.
    pub format: String,
    /// The catalog entry; `None` for an ad-hoc `unknown-N` option or one
    /// being defined.
    pub id: Option<OptionId>,
}

/// How an option statement combines with values from outer scopes and
/// from the client (ISC `statement_op`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionOp {
    /// `option` / `supersede`: this value wins.
    Supersede,
    /// `default`: used only if the client did not send one.
    Default,
    /// `prepend`: put before the client's value.
    Prepend,
    /// `append`: put after the client's value.
    Append,
    /// `send`: always send, even if not requested.
    Send,
}

/// One piece of an option value.
#[derive(Clone, Debug, PartialEq)]
pub enum ValuePart {
    /// Bytes exactly as they go on the wire.
    Bytes(Vec<u8>),
    /// A host name to resolve to IPv4 addresses when the option is used.
    /// `first_only` keeps just the first address (ISC's 4-byte limit when
    /// the name stands where a single address is expected).
    HostLookup {
        /// The name.
        name: String,
        /// Keep only the first address.
        first_only: bool,
    },
}

/// The value of an option statement.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    /// Written in the option's own syntax: concatenated parts.
    Data(Vec<ValuePart>),
    /// Written as `= data-expression`.
    Expression(Box<super::super::ast::Expression>),
    /// No value: `option foo;`. ISC keeps the statement without data.
    Empty,
}

/// An option setting in a scope.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionStatement {
    /// How it combines.
    pub op: OptionOp,
    /// The option.
    pub option: OptionRef,
    /// Its value.
    pub value: OptionValue,
}

impl Parser<'_> {
    /// After the `option` keyword in a scope (ISC `parse_statement`
    /// OPTION). Returns `false` where ISC breaks out of its switch, which
    /// resets its "declaration seen" flag, `true` where it returns the flag
    /// unchanged.
    pub(crate) fn parse_option_keyword_statement(&mut self, group: GroupId, kind: ScopeKind) -> PResult<bool> {
        if self.peek_token()? == Token::Kw(K::Space) {
            if kind != ScopeKind::Root {
                self.parse_warn("option space definitions may not be scoped.");
                self.skip_to_semi()?;
                return Ok(false);
            }
            self.parse_option_space_decl()?;
            return Ok(true);
        }
        let Some((option, known)) = self.parse_option_name(true)? else {
            return Ok(true);
        };
        if self.peek_token()? == Token::Kw(K::Code) {
            if kind != ScopeKind::Root {
                self.parse_warn("option definitions may not be scoped.");
                self.skip_to_semi()?;
                return Ok(false);
            }
            self.skip_token()?;
            if known {
                self.opt_forget(&option);
            }
            self.parse_option_code_definition(option)?;
            return Ok(true);
        }
        if !known {
            self.parse_warn(format!("unknown option {}.{}", option.space, option.name));
            self.skip_to_semi()?;
            return Ok(true);
        }
        // ISC's `lose` is uninitialised on this path and holds non-zero.
        if let Some(st) = self.parse_option_statement_in(option, true, OptionOp::Supersede, true)? {
            self.config.groups[group].statements.push(st);
        }
        Ok(true)
    }

    /// After `server-identifier` (ISC: `option` with whatever option code
    /// 54 of the dhcp space means now).
    pub(crate) fn parse_server_identifier_statement(&mut self, group: GroupId) -> PResult<()> {
        let Some(option) = self.opt_lookup_code_in(SpaceId::DHCP, 54) else {
            return Err(Fatal("Server identifier not in hash (confpars.c:711).".into()));
        };
        if let Some(st) = self.parse_option_statement_in(option, true, OptionOp::Supersede, true)? {
            self.config.groups[group].statements.push(st);
        }
        Ok(())
    }

    /// A server parameter written as a statement (`default-lease-time
    /// 600;`): ISC's default case of `parse_executable_statement`, which
    /// looks the identifier up among the server-space options (the built-in
    /// `server` space even if a later `option space server;` hid its name).
    ///
    /// `Ok(None)` when the next token is not such a name (nothing is
    /// consumed); `Ok(Some(None))` when it was one but the value was bad
    /// (reported; ISC's caller then also says "expecting a parameter or
    /// declaration"); `Ok(Some(Some(st)))` otherwise.
    pub(crate) fn parse_config_option_statement(&mut self) -> PResult<Option<Option<Statement>>> {
        let t = self.peek_token()?;
        if !t.is_identifier() {
            return Ok(None);
        }
        let name = self.val();
        let Some(option) = self.opt_lookup_name_in(SpaceId::SERVER, &name) else {
            return Ok(None);
        };
        self.skip_token()?;
        // ISC's uninitialised `lose` holds non-zero on this path.
        Ok(Some(self.parse_option_statement_in(option, true, OptionOp::Supersede, true)?))
    }

    /// `NAME` or `SPACE.NAME` (ISC `parse_option_name`). With `allocate`,
    /// an unknown name yields a new, not-yet-defined option (for a `code`
    /// definition) and `known = false`; without it an unknown name is an
    /// error. `unknown-N` names the option with code N.
    pub(crate) fn parse_option_name(&mut self, allocate: bool) -> PResult<Option<(OptionRef, bool)>> {
        let t = self.next_token()?;
        if !t.is_identifier() {
            self.parse_warn("expecting identifier after option keyword.");
            if !t.is(b';') {
                self.skip_to_semi()?;
            }
            return Ok(None);
        }
        let first = String::from_utf8_lossy(self.lex.value_cstr()).into_owned();
        let (space, name) = if self.peek_token()?.is(b'.') {
            self.skip_token()?;
            let t = self.next_token()?;
            if !t.is_identifier() {
                self.parse_warn("expecting identifier after '.'");
                if !t.is(b';') {
                    self.skip_to_semi()?;
                }
                return Ok(None);
            }
            let name = String::from_utf8_lossy(self.lex.value_cstr()).into_owned();
            let Some(space) = self.opt_space(&first) else {
                self.parse_warn(format!("no option space named {}.", first));
                self.skip_to_semi()?;
                return Ok(None);
            };
            (space, name)
        } else {
            (SpaceId::DHCP, first)
        };
        let space_name = self.opt_space_name(space);
        let adhoc = |code: u32, name: String, format: &str| OptionRef {
            space: space_name.clone(),
            space_id: space,
            code,
            name,
            format: format.to_string(),
            id: None,
        };
        if let Some(found) = self.opt_lookup_name_in(space, &name) {
            return Ok(Some((found, true)));
        }
        if name.len() >= 8 && name.as_bytes()[..8].eq_ignore_ascii_case(b"unknown-") {
            let code = super::common::atoi(&name.as_bytes()[8..]) as u32;
            let end = self.opt_space_end(space);
            if code == 0 || code == end {
                self.parse_warn(format!("Option codes 0 and {} are illegal in the {} space.", end, space_name));
                self.skip_to_semi()?;
                return Ok(None);
            }
            return Ok(Some(match self.opt_lookup_code_in(space, code) {
                Some(found) => {
                    self.log_info(format!(
                        "option {} has been redefined as option {}.  Please update your configs if necessary.",
                        name, found.name
                    ));
                    (found, true)
                }
                None => (adhoc(code, name, UNKNOWN_OPTION_FORMAT), true),
            }));
        }
        if allocate {
            return Ok(Some((adhoc(0, name, ""), false)));
        }
        self.parse_warn(format!("no option named {} in space {}", name, space_name));
        self.skip_to_semi()?;
        Ok(None)
    }

    /// ISC runs the global scope's statements once the file is read
    /// (`postconf_initialization`), and an option statement without a value
    /// (`option NAME;` followed by a lone `;`, the only way such a statement
    /// survives parsing) makes it dereference a null pointer. We report
    /// that as ISC's outcome, a crash, rather than accept a configuration
    /// ISC cannot start with.
    pub(crate) fn check_root_option_values(&mut self) -> PResult<()> {
        let crashes = self.config.groups[Config::ROOT]
            .statements
            .iter()
            .any(|s| matches!(s, Statement::Option(OptionStatement { value: OptionValue::Empty, .. })));
        if crashes {
            return Err(Fatal(ISC_CRASH.into()));
        }
        Ok(())
    }

    /// The value after an option name, up to and including `;` (ISC
    /// `parse_option_statement`), as the executable-statement keywords
    /// (`supersede`, `default`, ...) reach it. `lookups` allows host names
    /// for addresses. `None` when the statement was bad (already reported;
    /// ISC's caller then adds its own "expecting ..." message).
    pub(crate) fn parse_option_statement(
        &mut self,
        option: OptionRef,
        lookups: bool,
        op: OptionOp,
    ) -> PResult<Option<Statement>> {
        self.parse_option_statement_in(option, lookups, op, false)
    }

    /// [`Parser::parse_option_statement`] with ISC's uninitialised `lose`
    /// made explicit: `stale_lose` is what it happens to hold on the
    /// caller's path in the 4.4.3 binary (non-zero from `parse_statement`'s
    /// `option` and `server-identifier` and for server parameters, zero
    /// from the other keywords). The expression parser starts from it, so
    /// when set every message ISC prints only `if (!*lose)` stays unsaid,
    /// and a failed expression is dropped with its tokens left for the
    /// caller.
    pub(crate) fn parse_option_statement_in(
        &mut self,
        option: OptionRef,
        lookups: bool,
        op: OptionOp,
        stale_lose: bool,
    ) -> PResult<Option<Statement>> {
        let t = self.peek_token()?;
        let value = if t.is(b';') && !option.format.starts_with('Z') {
            // ISC eats this `;` and then wants another one.
            self.skip_token()?;
            OptionValue::Empty
        } else if t.is(b'=') {
            self.skip_token()?;
            let mut lose = stale_lose;
            match self.data_expression(&mut lose)? {
                Some(e) => OptionValue::Expression(Box::new(e)),
                None => {
                    if !lose {
                        self.parse_warn("expecting a data expression.");
                        self.skip_to_semi()?;
                    }
                    return Ok(None);
                }
            }
        } else {
            match self.parse_option_data(&option, lookups)? {
                Some(parts) => OptionValue::Data(parts),
                None => return Ok(None),
            }
        };
        if !self.parse_semi()? {
            return Ok(None);
        }
        Ok(Some(Statement::Option(OptionStatement { op, option, value })))
    }
}

#[cfg(test)]
mod tests;
