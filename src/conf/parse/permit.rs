//! Who may use what: a pool's `allow`/`deny` permit lists, and the
//! `allow`/`deny`/`ignore` flags of a scope (`allow bootp;`).
//!
//! The two share keywords but not meaning, and ISC parses them in different
//! places: permits only inside `pool`/`pool6` bodies (`get_permit`), scope
//! flags as executable statements anywhere (`parse_allow_deny`). So
//! `allow known-clients;` is a fine pool permit but an error in a subnet.

use super::super::ast::Statement;
use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::Permit;
use super::super::parser::{Fatal, PResult, Parser};
use super::option::{OptionOp, OptionStatement, OptionValue, ValuePart};

impl Parser<'_> {
    /// One permit after `allow` or `deny` in a pool (ISC `get_permit`),
    /// through its `;`. `None` when it was reported and skipped.
    ///
    /// `has_after` says whether the pool already has an `after` time (ISC
    /// allows one per pool, whichever of allow/deny gave it); for an
    /// `after` permit the caller records the time as the pool's start
    /// (allow) or end (deny) of validity.
    pub(crate) fn get_permit(&mut self, has_after: bool) -> PResult<Option<Permit>> {
        let mut need_clients = true;
        let permit = match self.next_token()? {
            Token::Kw(K::Unknown) => Permit::UnknownClients,
            Token::Kw(K::KnownClients) => {
                need_clients = false;
                Permit::KnownClients
            }
            Token::Kw(K::UnknownClients) => {
                need_clients = false;
                Permit::UnknownClients
            }
            Token::Kw(K::Known) => Permit::KnownClients,
            Token::Kw(K::Authenticated) => Permit::AuthenticatedClients,
            Token::Kw(K::Unauthenticated) => Permit::UnauthenticatedClients,
            Token::Kw(K::All) => Permit::AllClients,
            Token::Kw(K::Dynamic) => {
                if self.next_token()? != Token::Kw(K::Bootp) {
                    self.parse_warn("expecting \"bootp\"");
                    self.skip_to_semi()?;
                    return Ok(None);
                }
                Permit::DynamicBootpClients
            }
            Token::Kw(K::Members) => {
                need_clients = false;
                if self.next_token()? != Token::Kw(K::Of) {
                    self.parse_warn("expecting \"of\"");
                    self.skip_to_semi()?;
                    return Ok(None);
                }
                if self.next_token()? != Token::String {
                    self.parse_warn("expecting class name.");
                    self.skip_to_semi()?;
                    return Ok(None);
                }
                let name = self.c_text();
                let class = self.find_class(&name);
                if class.is_none() {
                    self.parse_warn(format!("no such class: {}", name));
                }
                Permit::Class(class)
            }
            Token::Kw(K::After) => {
                need_clients = false;
                if has_after {
                    self.parse_warn("duplicate \"after\" clause.");
                    self.skip_to_semi()?;
                    return Ok(None);
                }
                Permit::After(self.parse_date_core()?)
            }
            _ => {
                self.parse_warn("expecting permit type.");
                self.skip_to_semi()?;
                return Ok(None);
            }
        };
        if need_clients && self.next_token()? != Token::Kw(K::Clients) {
            self.parse_warn("expecting \"clients\"");
            self.skip_to_semi()?;
            return Ok(None);
        }
        self.parse_semi()?;
        Ok(Some(permit))
    }

    /// After `allow`, `deny` or `ignore` in a scope (ISC `parse_allow_deny`;
    /// `kw` is which of the three): `KEY ;` where KEY is one of `bootp`,
    /// `booting`, `dynamic-bootp`, `unknown-clients`, `duplicates`,
    /// `declines`, `client-updates`, `leasequery`. The flag is 1 for
    /// `allow`, 0 for `deny` and 2 for `ignore`.
    ///
    /// Returns the statement ISC makes of it (the server option of that
    /// name superseded with the flag), or `None` after reporting an unknown
    /// key — in which case ISC's `parse_executable_statement` returns 0
    /// *without* setting `lose`, so its caller reports "expecting a
    /// parameter or declaration" as well.
    pub(crate) fn parse_allow_deny(&mut self, kw: K) -> PResult<Option<Statement>> {
        let flag: u8 = match kw {
            K::Allow => 1,
            K::Ignore => 2,
            _ => 0,
        };
        let code = match self.next_token()? {
            Token::Kw(K::Bootp) => 8,
            Token::Kw(K::Booting) => 9,
            Token::Kw(K::DynamicBootp) => 7,
            Token::Kw(K::UnknownClients) => 6,
            Token::Kw(K::Duplicates) => 28,
            Token::Kw(K::Declines) => 29,
            Token::Kw(K::ClientUpdates) => 40,
            Token::Kw(K::Leasequery) => 49,
            _ => {
                self.parse_warn("expecting allow/deny key");
                self.skip_to_semi()?;
                return Ok(None);
            }
        };
        // ISC looks in the built-in server space's code table, whatever a
        // later `option space server;` did to the name.
        let Some(option) = self.opt_lookup_code_in(crate::options::SpaceId::SERVER, code) else {
            return Err(Fatal(format!("Unable to find server option {} (confpars.c:4736).", code)));
        };
        self.parse_semi()?;
        Ok(Some(Statement::Option(OptionStatement {
            op: OptionOp::Supersede,
            option,
            value: OptionValue::Data(vec![ValuePart::Bytes(vec![flag])]),
        })))
    }
}
