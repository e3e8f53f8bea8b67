//! The dhcpd.conf grammar: the top-level loop and the statement dispatcher.
//!
//! `parse_statement` decides, from the first token, which family of statement
//! follows and hands over to the family's file: declarations (`decl.rs`),
//! failover peers (`failover.rs`), option settings and definitions
//! (`option.rs`), executable statements and expressions (`exec.rs`,
//! `expr.rs`), and the small shared pieces such as addresses and numbers
//! (`common.rs`). The checks of where a declaration may appear, and the
//! messages for a misplaced one, follow ISC's `parse_statement`.

mod common;
mod decl;
mod host;
mod exec;
mod exec_blocks;
#[cfg(test)]
mod exec_tests;
mod expr;
mod expr_operand;
mod failover;
pub(crate) mod option;
mod option_def;
mod option_names;
mod option_value;

mod class;
mod keyzone;
mod network;
mod permit;
mod pool;
mod v6;

pub use common::{AddrOrName, Hardware};
pub(crate) use common::isc_date_guess;
pub use decl::{ClassKind, DeclState};

use super::keywords::Keyword as K;
use super::lexer::Token;
use super::model::{GroupId, ScopeKind};
use super::parser::{PResult, Parser};

impl Parser<'_> {
    /// Parses a whole file into `group` (ISC `conf_file_subparse`).
    pub(crate) fn parse_conf_file(&mut self, group: GroupId, kind: ScopeKind) -> PResult<()> {
        let mut declaration = false;
        loop {
            if self.peek_token()? == Token::Eof {
                break;
            }
            declaration = self.parse_statement(group, kind, None, declaration)?;
        }
        self.skip_token()?;
        Ok(())
    }

    /// Parses one statement or declaration in a scope of the given kind
    /// (ISC `parse_statement`). `host` is the host being declared when the
    /// scope is a host. Returns ISC's "a declaration was seen" flag, which
    /// only changes the wording of one error message.
    pub(crate) fn parse_statement(
        &mut self,
        group: GroupId,
        kind: ScopeKind,
        host: Option<usize>,
        declaration: bool,
    ) -> PResult<bool> {
        // Blocks nest by recursion; the guard turns hostile depth into a
        // fatal error instead of a stack overflow.
        self.enter()?;
        let r = self.parse_statement_inner(group, kind, host, declaration);
        self.leave();
        r
    }

    fn parse_statement_inner(
        &mut self,
        group: GroupId,
        kind: ScopeKind,
        host: Option<usize>,
        declaration: bool,
    ) -> PResult<bool> {
        use ScopeKind as S;
        let token = self.peek_token()?;
        let Token::Kw(kw) = token else {
            return self.parse_other_statement(group, kind, declaration);
        };
        match kw {
            K::Include => {
                self.skip_token()?;
                if self.next_token()? != Token::String {
                    self.parse_warn("filename string expected.");
                    self.skip_to_semi()?;
                } else {
                    let path = self.val();
                    let ok = self.with_included_file(&path, |p| p.parse_conf_file(group, kind))?;
                    if !ok {
                        self.parse_warn(format!("{}: bad parse.", path));
                    }
                    self.parse_semi()?;
                }
                Ok(true)
            }
            K::Host => {
                self.skip_token()?;
                if kind != S::Host && kind != S::Class {
                    if matches!(kind, S::Subnet | S::SharedNetwork) && !self.config_warned_global_host() {
                        self.log_error(
                            "WARNING: Host declarations are global.  They are not limited to the scope you declared them in.",
                        );
                    }
                    self.parse_host_declaration(group)?;
                } else {
                    self.parse_warn("host declarations not allowed here.");
                    self.skip_to_semi()?;
                }
                Ok(true)
            }
            K::Group => {
                self.skip_token()?;
                if kind != S::Host && kind != S::Class {
                    self.parse_group_declaration(group)?;
                } else {
                    self.parse_warn("group declarations not allowed here.");
                    self.skip_to_semi()?;
                }
                Ok(true)
            }
            K::SharedNetwork => {
                self.skip_token()?;
                if matches!(kind, S::SharedNetwork | S::Host | S::Subnet | S::Class) {
                    self.parse_warn("shared-network parameters not allowed here.");
                    self.skip_to_semi()?;
                    return Ok(false);
                }
                self.parse_shared_net_declaration(group)?;
                Ok(true)
            }
            K::Subnet | K::Subnet6 => {
                self.skip_token()?;
                if matches!(kind, S::Host | S::Subnet | S::Class) {
                    self.parse_warn("subnet declarations not allowed here.");
                    self.skip_to_semi()?;
                    return Ok(true);
                }
                if kw == K::Subnet6 {
                    self.parse_subnet6_declaration(group)?;
                } else {
                    self.parse_subnet_declaration(group)?;
                }
                // ISC returns 0 ("not a declaration") when the subnet sits
                // inside a shared-network, 1 otherwise.
                Ok(self.config.groups[group].shared_network.is_none())
            }
            K::VendorClass | K::UserClass | K::Class | K::Subclass => {
                self.skip_token()?;
                if kind == S::Class {
                    self.parse_warn("class declarations not allowed here.");
                    self.skip_to_semi()?;
                    return Ok(false);
                }
                let class_kind = match kw {
                    K::VendorClass => ClassKind::Vendor,
                    K::UserClass => ClassKind::User,
                    K::Class => ClassKind::Class,
                    _ => ClassKind::Subclass,
                };
                self.parse_class_declaration(group, class_kind)?;
                Ok(true)
            }
            K::Hardware => {
                self.skip_token()?;
                self.parse_host_hardware(host)?;
                Ok(false)
            }
            K::FixedAddr | K::FixedAddr6 => {
                self.skip_token()?;
                self.parse_host_fixed_address(host, kw == K::FixedAddr6)?;
                Ok(false)
            }
            K::Pool => {
                self.skip_token()?;
                if kind == S::Pool {
                    self.parse_warn("pool declared within pool.");
                    self.skip_to_semi()?;
                } else if kind != S::Subnet && kind != S::SharedNetwork {
                    self.parse_warn("pool declared outside of network");
                    self.skip_to_semi()?;
                } else {
                    self.parse_pool_statement(group, kind)?;
                }
                Ok(declaration)
            }
            K::Range => {
                self.skip_token()?;
                if kind != S::Subnet || self.config.groups[group].subnet.is_none() {
                    self.parse_warn("range declaration not allowed here.");
                    self.skip_to_semi()?;
                    return Ok(declaration);
                }
                self.parse_address_range(group, kind, None)?;
                Ok(declaration)
            }
            K::Range6 | K::Prefix6 | K::FixedPrefix6 | K::Pool6 => {
                self.parse_v6_declaration(group, kind, host, kw, declaration)
            }
            K::Not => {
                self.skip_token()?;
                if self.next_token()? == Token::Kw(K::Authoritative) {
                    self.config.groups[group].authoritative = Some(false);
                    if kind == S::Host {
                        self.parse_warn("authority makes no sense here.");
                    }
                    self.parse_semi()?;
                } else {
                    self.parse_warn("expecting assertion");
                    self.skip_to_semi()?;
                }
                Ok(false)
            }
            K::Authoritative => {
                self.skip_token()?;
                self.config.groups[group].authoritative = Some(true);
                if kind == S::Host {
                    self.parse_warn("authority makes no sense here.");
                }
                self.parse_semi()?;
                Ok(false)
            }
            K::ServerIdentifier => {
                self.skip_token()?;
                self.parse_server_identifier_statement(group)?;
                Ok(declaration)
            }
            K::Option => {
                self.skip_token()?;
                Ok(self.parse_option_keyword_statement(group, kind)? && declaration)
            }
            K::Failover => {
                if kind != S::Root && kind != S::SharedNetwork {
                    self.parse_warn("failover peers may only be defined in shared-network");
                    self.log_error("declarations and the outer scope.");
                    self.skip_to_semi()?;
                    return Ok(false);
                }
                self.next_token()?;
                self.parse_failover_peer(group, kind)?;
                Ok(false)
            }
            K::ServerDuid => {
                self.parse_server_duid_conf()?;
                Ok(false)
            }
            K::LeaseIdFormat => {
                self.next_token()?;
                self.parse_lease_id_format(group)?;
                Ok(false)
            }
            _ => self.parse_other_statement(group, kind, declaration),
        }
    }

    /// Everything that is not a declaration: a `%` line (ignored like ISC),
    /// or an executable statement / parameter (ISC's `default:` branch).
    fn parse_other_statement(&mut self, group: GroupId, _kind: ScopeKind, declaration: bool) -> PResult<bool> {
        if self.peek_token()?.is(b'%') {
            self.skip_to_semi()?;
            return Ok(false);
        }
        let (statement, lose) = self.parse_executable_statement(exec::CaseContext::Any)?;
        match statement {
            None => {
                if !lose {
                    if declaration {
                        self.parse_warn("expecting a declaration");
                    } else {
                        self.parse_warn("expecting a parameter or declaration");
                    }
                    self.skip_to_semi()?;
                }
                Ok(declaration)
            }
            Some(None) => Ok(declaration),
            Some(Some(st)) => {
                self.config.groups[group].statements.push(st);
                Ok(declaration)
            }
        }
    }

    /// ISC prints the "host declarations are global" warning once per run.
    fn config_warned_global_host(&mut self) -> bool {
        let warned = self.warned_global_host;
        self.warned_global_host = true;
        warned
    }
}
