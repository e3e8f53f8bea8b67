//! The records of a lease file other than leases: failover state blocks,
//! `server-duid`, `authoring-byte-order`, and the hosts, groups and classes
//! OMAPI writes (ISC `parse_failover_state_declaration`,
//! `parse_failover_state`, `parse_server_duid` with `parse_X`,
//! `parse_authoring_byte_order`, and the lease-file use of
//! `parse_host_declaration`, `parse_group_declaration` and
//! `parse_class_declaration`).
//!
//! Messages and recovery follow ISC; the bodies of hosts, groups and
//! classes are kept as text (see [`super::records`]).

use super::file::{atol, Outcome, Reader};
use super::records::{
    ByteOrder, ClassName, ClassRecord, FailoverState, FailoverStateRecord, GroupRecord, HostRecord, StateAt,
};
use crate::conf::keywords::Keyword as K;
use crate::conf::lexer::Token;
use crate::conf::parser::PResult;

impl Reader<'_> {
    // ----- failover peer "X" state { ... } -------------------------------

    /// After `failover` (ISC `parse_failover_state_declaration` with no peer).
    pub(super) fn failover_state_declaration(&mut self) -> PResult<Outcome<FailoverStateRecord>> {
        let line = self.p.lex.position().line;
        if self.p.next_token()? != Token::Kw(K::Peer) {
            self.p.parse_warn("expecting \"peer\"");
            self.p.skip_to_semi()?;
            return self.check_torn(line, "failover record", false, Outcome::Bad);
        }
        let t = self.p.next_token()?;
        if !(t.is_identifier() || t == Token::String) {
            self.p.parse_warn("expecting failover peer name.");
            self.p.skip_to_semi()?;
            return self.check_torn(line, "failover record", false, Outcome::Bad);
        }
        let peer = String::from_utf8_lossy(self.p.lex.value_cstr()).into_owned();
        let what = format!("failover peer \"{}\" state", peer);
        let role = self.facts.map(|f| f.failover_peers.iter().find(|(n, _)| *n == peer).map(|(_, primary)| *primary));
        if role == Some(None) {
            self.p.parse_warn(format!("unknown failover peer: {}", peer));
            self.p.skip_to_semi()?;
            return self.check_torn(line, &what, false, Outcome::Bad);
        }
        let primary = role == Some(Some(true));
        let t = self.p.next_token()?;
        if t != Token::Kw(K::State) {
            self.p.parse_warn("expecting 'state'");
            if !t.is(b';') {
                self.p.skip_to_semi()?;
            }
            return self.check_torn(line, &what, false, Outcome::Bad);
        }
        let t = self.p.next_token()?;
        if !t.is(b'{') {
            self.p.parse_warn("expecting left brace");
            if !t.is(b';') {
                self.p.skip_to_semi()?;
            }
            return self.check_torn(line, &what, false, Outcome::Bad);
        }
        let mut rec = FailoverStateRecord { peer, me: None, partner: None, mclt: None };
        loop {
            let t = self.p.next_token()?;
            match t {
                Token::Punct(b'}') => return Ok(Outcome::Done(rec)),
                Token::Kw(K::My) | Token::Kw(K::Partner) => {
                    if self.p.next_token()? != Token::Kw(K::State) {
                        self.p.parse_warn("expecting 'state'");
                        break;
                    }
                    if let Some(s) = self.failover_state()? {
                        if t == Token::Kw(K::My) {
                            rec.me = Some(s);
                        } else {
                            rec.partner = Some(s);
                        }
                    }
                }
                Token::Kw(K::Mclt) => {
                    if primary {
                        self.p.parse_warn("mclt not valid for primary");
                        break;
                    }
                    if self.p.next_token()? != Token::Number {
                        self.p.parse_warn("expecting a number.");
                        break;
                    }
                    rec.mclt = Some(atol(self.p.lex.value_cstr()) as i32 as u32);
                    self.p.parse_semi()?;
                }
                _ => {
                    self.p.parse_warn("expecting state setting.");
                    break;
                }
            }
        }
        // ISC skips the rest of the block but keeps what it installed.
        self.p.skip_to_rbrace(1)?;
        let closed = self.p.lex.value() == b"}";
        self.check_torn(line, &what, closed, Outcome::Done(rec))
    }

    /// `STATE [at DATE] ;` (ISC `parse_failover_state`); `None` when
    /// reported, in which case ISC installs nothing.
    fn failover_state(&mut self) -> PResult<Option<StateAt>> {
        let state = match self.p.next_token()? {
            Token::Kw(K::UnknownState) => FailoverState::Unknown,
            Token::Kw(K::PartnerDown) => FailoverState::PartnerDown,
            Token::Kw(K::Normal) => FailoverState::Normal,
            Token::Kw(K::CommunicationsInterrupted) => FailoverState::CommunicationsInterrupted,
            Token::Kw(K::ConflictDone) => FailoverState::ConflictDone,
            Token::Kw(K::ResolutionInterrupted) => FailoverState::ResolutionInterrupted,
            Token::Kw(K::PotentialConflict) => FailoverState::PotentialConflict,
            Token::Kw(K::Recover) => FailoverState::Recover,
            Token::Kw(K::RecoverWait) => FailoverState::RecoverWait,
            Token::Kw(K::RecoverDone) => FailoverState::RecoverDone,
            Token::Kw(K::Shutdown) => FailoverState::Shutdown,
            Token::Kw(K::Paused) => FailoverState::Paused,
            Token::Kw(K::Startup) => FailoverState::Startup,
            _ => {
                self.p.parse_warn("unknown failover state");
                self.p.skip_to_semi()?;
                return Ok(None);
            }
        };
        let t = self.p.next_token()?;
        let since = if t.is(b';') {
            self.now
        } else {
            if t != Token::Kw(K::At) {
                self.p.parse_warn("expecting \"at\"");
                self.p.skip_to_semi()?;
                return Ok(None);
            }
            let d = self.p.parse_date()?;
            if d == 0 {
                return Ok(None);
            }
            d
        };
        Ok(Some(StateAt { state, since }))
    }

    // ----- server-duid, authoring-byte-order -----------------------------

    /// After `server-duid` (ISC `parse_server_duid`, through `parse_X`).
    pub(super) fn server_duid(&mut self) -> PResult<Outcome<Vec<u8>>> {
        let line = self.p.lex.position().line;
        let bytes = self.parse_x(128)?;
        if bytes.len() <= 2 {
            self.p.parse_warn("Invalid duid contents");
            self.p.skip_to_semi()?;
            return self.check_torn(line, "server-duid", false, Outcome::Bad);
        }
        let ok = self.p.parse_semi()?;
        self.check_torn(line, "server-duid", ok, Outcome::Done(bytes))
    }

    /// Hex bytes or a string, at most `max` bytes (ISC `parse_X`); empty
    /// after reporting a problem.
    fn parse_x(&mut self, max: usize) -> PResult<Vec<u8>> {
        let t = self.p.peek_token()?;
        if t == Token::Number || t == Token::NumberOrName {
            let mut out = Vec::new();
            loop {
                let t = self.p.next_token()?;
                if t != Token::Number && t != Token::NumberOrName {
                    self.p.parse_warn("expecting hexadecimal constant.");
                    self.p.skip_to_semi()?;
                    return Ok(Vec::new());
                }
                if out.len() >= max {
                    self.p.parse_warn("hexadecimal constant too long.");
                    self.p.skip_to_semi()?;
                    return Ok(Vec::new());
                }
                let text = self.p.lex.value_cstr().to_vec();
                out.extend(self.p.convert_num(&text, 16, 8));
                if !self.p.peek_token()?.is(b':') {
                    return Ok(out);
                }
                self.p.skip_token()?;
            }
        }
        if t == Token::String {
            self.p.skip_token()?;
            let v = self.p.val_bytes();
            if v.len() + 1 > max {
                self.p.parse_warn("string constant too long.");
                self.p.skip_to_semi()?;
                return Ok(Vec::new());
            }
            return Ok(v);
        }
        self.p.parse_warn("expecting string or hexadecimal data");
        self.p.skip_to_semi()?;
        Ok(Vec::new())
    }

    /// After `authoring-byte-order` (ISC `parse_authoring_byte_order`).
    pub(super) fn authoring_byte_order(&mut self) -> PResult<Outcome<ByteOrder>> {
        let line = self.p.lex.position().line;
        if self.byte_order_seen {
            self.p
                .parse_warn("authoring-byte-order specified too late.\nIt must occur before the first lease in file\n");
            self.p.skip_to_semi()?;
            return self.check_torn(line, "authoring-byte-order", false, Outcome::Bad);
        }
        let order = match self.p.next_token()? {
            Token::Kw(K::LittleEndian) => ByteOrder::LittleEndian,
            Token::Kw(K::BigEndian) => ByteOrder::BigEndian,
            _ => {
                self.p.parse_warn("authoring-byte-order is invalid:  it must be big-endian or little-endian.");
                self.p.skip_to_semi()?;
                return self.check_torn(line, "authoring-byte-order", false, Outcome::Bad);
            }
        };
        self.byte_order_seen = true;
        if order != ByteOrder::NATIVE {
            self.p.log_error("WARNING: Lease file authored using different byte order, will attempt to convert");
        }
        if !self.p.next_token()?.is(b';') {
            self.p.parse_warn("corrupt lease file; expecting a semicolon");
            self.p.skip_to_semi()?;
            return self.check_torn(line, "authoring-byte-order", false, Outcome::Done(order));
        }
        Ok(Outcome::Done(order))
    }

    // ----- host, group, class (written through OMAPI) --------------------

    /// After `host` (the start of ISC `parse_host_declaration`; the body is
    /// kept as text).
    pub(super) fn host_declaration(&mut self) -> PResult<Outcome<HostRecord>> {
        let line = self.p.lex.position().line;
        let Some(name) = self.p.parse_host_name()? else {
            self.p.parse_warn("expecting a name for host declaration.");
            self.p.skip_to_semi()?;
            return self.check_torn(line, "host", false, Outcome::Bad);
        };
        let what = format!("host {}", name);
        if !self.lbrace()? {
            return self.check_torn(line, &what, false, Outcome::Bad);
        }
        let Some(block) = self.capture_block()? else {
            return self.check_torn(line, &what, false, Outcome::Bad);
        };
        Ok(Outcome::Done(HostRecord {
            name,
            dynamic: block.has_flag(K::Dynamic),
            deleted: block.has_flag(K::Deleted),
            body: block.text,
        }))
    }

    /// After `group` (ISC `parse_group_declaration`; body kept as text).
    pub(super) fn group_declaration(&mut self) -> PResult<Outcome<GroupRecord>> {
        let line = self.p.lex.position().line;
        let t = self.p.peek_token()?;
        let name = if t.is_identifier() || t == Token::String {
            self.p.skip_token()?;
            Some(String::from_utf8_lossy(self.p.lex.value_cstr()).into_owned())
        } else {
            None
        };
        let what = format!("group {}", name.as_deref().unwrap_or(""));
        if !self.lbrace()? {
            return self.check_torn(line, &what, false, Outcome::Bad);
        }
        let Some(block) = self.capture_block()? else {
            return self.check_torn(line, &what, false, Outcome::Bad);
        };
        Ok(Outcome::Done(GroupRecord {
            name,
            dynamic: block.has_flag(K::Dynamic),
            is_static: block.has_flag(K::Static),
            deleted: block.has_flag(K::Deleted),
            body: block.text,
        }))
    }

    /// After `class` or `subclass` (ISC `parse_class_declaration` as the
    /// lease file uses it; body kept as text).
    pub(super) fn class_declaration(&mut self, subclass: bool) -> PResult<Outcome<ClassRecord>> {
        let line = self.p.lex.position().line;
        let kind = if subclass { "subclass" } else { "class" };
        if self.p.next_token()? != Token::String {
            self.p.parse_warn("Expecting class name");
            self.p.skip_to_semi()?;
            return self.check_torn(line, kind, false, Outcome::Bad);
        }
        let first = String::from_utf8_lossy(self.p.lex.value_cstr()).into_owned();
        let what = format!("{} \"{}\"", kind, first);
        if subclass && !self.class_known(&first) {
            self.p.parse_warn(format!("no class named {}", first));
            self.p.skip_to_semi()?;
            return self.check_torn(line, &what, false, Outcome::Bad);
        }
        let name = if subclass {
            let t = self.p.peek_token()?;
            let hash = if t == Token::String {
                self.p.skip_token()?;
                self.p.val_bytes()
            } else if t == Token::Number || t == Token::NumberOrName {
                match self.p.parse_cshl()? {
                    Some(h) => h,
                    None => return self.check_torn(line, &what, false, Outcome::Bad),
                }
            } else {
                self.p.parse_warn("Expecting string or hex list.");
                return self.check_torn(line, &what, false, Outcome::Bad);
            };
            if self.p.peek_token()?.is(b';') {
                self.p.skip_token()?;
                return Ok(Outcome::Done(ClassRecord {
                    name: ClassName::Subclass { parent: first, hash },
                    dynamic: false,
                    deleted: false,
                    lease_limit: None,
                    body: None,
                }));
            }
            ClassName::Subclass { parent: first, hash }
        } else {
            ClassName::Class(first)
        };
        if !self.lbrace()? {
            return self.check_torn(line, &what, false, Outcome::Bad);
        }
        let Some(block) = self.capture_block()? else {
            return self.check_torn(line, &what, false, Outcome::Bad);
        };
        if let ClassName::Class(n) = &name {
            self.file_classes.push(n.clone());
        }
        let lease_limit = block.heads.iter().find_map(|h| match h.as_slice() {
            [(Token::Kw(K::Lease), _), (Token::Kw(K::Limit), _), (Token::Number, n)] => Some(atol(n.as_bytes())),
            _ => None,
        });
        Ok(Outcome::Done(ClassRecord {
            name,
            dynamic: block.has_flag(K::Dynamic),
            deleted: block.has_flag(K::Deleted),
            lease_limit,
            body: Some(block.text),
        }))
    }

    /// Whether a class of that name exists (always, without config facts).
    pub(super) fn class_known(&self, name: &str) -> bool {
        match self.facts {
            None => true,
            Some(f) => f.classes.iter().chain(&self.file_classes).any(|c| c == name),
        }
    }
}
