//! Reading a `dhcpd.leases` file: bytes in, records and messages out.
//!
//! This is ISC's `lease_file_subparse` and the record parsers it calls
//! (`parse_lease_declaration`, `parse_failover_state_declaration`,
//! `parse_server_duid`, `parse_authoring_byte_order`, and the host, group
//! and class declarations OMAPI writes), run over the same lexer as
//! `dhcpd.conf`. ISC never stops on a bad lease file: it reports, skips to
//! the next `;` and goes on, dropping the record it was reading. We do the
//! same, with the same messages at the same lines, so an operator sees what
//! they would have seen with ISC.
//!
//! Where we differ on purpose:
//! * **A torn last record is dropped.** If the file ends inside a record
//!   (a crash or full disk cut an append short), ISC keeps whatever fields it
//!   had read; we drop the record and say so, which restores the last record
//!   that was completely written — the one whose write was acknowledged.
//! * The checks ISC makes against the configuration while parsing (unknown
//!   failover peers and classes, `mclt` on a primary) are made only when the
//!   caller supplies [`ConfigFacts`]; without them every name is accepted.
//!   Checks ISC makes after parsing (leases outside every subnet, BACKUP
//!   leases in pools without a peer) belong to the engine.
//! * `timestamp` inside a lease makes ISC exit ("Impossible error"); we
//!   report it and drop that lease.
//! * `ia-na`/`ia-ta`/`ia-pd` (DHCPv6) blocks are skipped with a message.
//!
//! Nothing here panics or loops forever, whatever the bytes: every loop
//! consumes a token or stops at end of file.

use std::rc::Rc;

use super::records::{
    ByteOrder, ClassName, ClassRecord, Entry, FailoverState, FailoverStateRecord, GroupRecord, HostRecord, LeaseLog,
    Record, StateAt, TornRecord,
};
use super::Time;
use crate::conf::diag::{Diagnostic, Severity};
use crate::conf::keywords::Keyword as K;
use crate::conf::lexer::Token;
use crate::conf::parser::{Fatal, MemLoader, PResult, Parser};

/// What the reader needs to know that the file does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadOptions<'a> {
    /// The current time: a lease without `binding state` is active if it
    /// ends after this, and `my state X;` without `at` means now.
    pub now: Time,
    /// What the configuration declares, for the checks ISC makes while
    /// reading; `None` accepts every peer and class name.
    pub config: Option<&'a ConfigFacts>,
}

impl ReadOptions<'_> {
    /// Reading at `now` with no configuration checks.
    pub fn at(now: Time) -> ReadOptions<'static> {
        ReadOptions { now, config: None }
    }
}

/// The facts from `dhcpd.conf` that ISC consults while reading leases.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigFacts {
    /// Failover relationships: name and whether this server is primary.
    pub failover_peers: Vec<(String, bool)>,
    /// Names of the classes declared in the configuration.
    pub classes: Vec<String>,
}

/// A lease file the reader had to give up on (ISC would exit too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// The file name as given.
    pub file: String,
    /// The line where reading stopped.
    pub line: u32,
    /// What went wrong.
    pub message: String,
    /// The messages reported before stopping.
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ReadError {}

/// Reads a whole lease file. `file_name` is used in messages only.
///
/// Malformed records are reported in [`LeaseLog::diagnostics`] and dropped,
/// as ISC does; the only error is a condition on which ISC exits.
pub fn read_lease_file(file_name: &str, bytes: &[u8], opts: ReadOptions<'_>) -> Result<LeaseLog, ReadError> {
    let loader = MemLoader(Vec::new());
    let input: Rc<[u8]> = Rc::from(bytes);
    let mut r = Reader {
        p: Parser::new(file_name, input.clone(), &loader),
        input,
        now: opts.now,
        facts: opts.config,
        file_classes: Vec::new(),
        log: LeaseLog { file_name: file_name.to_string(), ..LeaseLog::default() },
        byte_order_seen: false,
    };
    match r.read_all() {
        Ok(()) => {
            r.log.diagnostics = std::mem::take(&mut r.p.diagnostics);
            Ok(r.log)
        }
        Err(Fatal(message)) => {
            let line = r.p.diagnostics.last().and_then(|d| d.at.as_ref()).map_or(0, |(_, pos)| pos.line);
            let detail = r.p.diagnostics.last().map(|d| d.message.clone()).unwrap_or(message);
            Err(ReadError { file: file_name.to_string(), line, message: detail, diagnostics: r.p.diagnostics })
        }
    }
}

/// How a record parser ended.
pub(super) enum Outcome<T> {
    /// The record was read (possibly with reported problems ISC tolerates).
    Done(T),
    /// The record was malformed and is dropped.
    Bad,
}

impl<T> Outcome<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Done(v) => Outcome::Done(f(v)),
            Outcome::Bad => Outcome::Bad,
        }
    }
}

/// The reader's state: the conf parser (lexer, messages) plus the log.
pub(super) struct Reader<'l> {
    pub(super) p: Parser<'l>,
    input: Rc<[u8]>,
    pub(super) now: Time,
    facts: Option<&'l ConfigFacts>,
    /// Classes the file itself declared so far (they exist for later records).
    file_classes: Vec<String>,
    log: LeaseLog,
    byte_order_seen: bool,
}

/// Source text of a `{ ... }` block and its statements' first words.
pub(super) struct Block {
    /// Bytes between the braces.
    pub(super) text: Vec<u8>,
    /// The top-level statements as their first three tokens (enough to spot
    /// `dynamic;`, `deleted;`, `static;` and `lease limit N;`).
    pub(super) heads: Vec<Vec<(Token, String)>>,
    /// Whether the block had at least one token.
    pub(super) nonempty: bool,
}

impl<'l> Reader<'l> {
    fn read_all(&mut self) -> PResult<()> {
        loop {
            let t = self.p.next_token()?;
            let line = self.p.lex.position().line;
            let keyword = self.p.val();
            let record = match t {
                Token::Eof => break,
                Token::Kw(K::Lease) => self.lease_record(line)?,
                Token::Kw(K::Failover) => self.failover_state_declaration()?.map(Record::FailoverState),
                Token::Kw(K::ServerDuid) => self.server_duid()?.map(Record::ServerDuid),
                Token::Kw(K::AuthoringByteOrder) => self.authoring_byte_order()?.map(Record::AuthoringByteOrder),
                Token::Kw(K::Host) => self.host_declaration()?.map(Record::Host),
                Token::Kw(K::Group) => self.group_declaration()?.map(Record::Group),
                Token::Kw(K::Class) => self.class_declaration(false)?.map(Record::Class),
                Token::Kw(K::Subclass) => self.class_declaration(true)?.map(Record::Class),
                Token::Kw(K::IaNa | K::IaTa | K::IaPd) => {
                    let what = self.p.val();
                    self.skip_v6_block()?;
                    self.p.log_error(format!(
                        "{} line {}: {} is a DHCPv6 lease; ignored by this DHCPv4 server.",
                        self.log.file_name, line, what
                    ));
                    Outcome::Bad
                }
                _ => {
                    self.p.log_error("Corrupt lease file - possible data loss!");
                    self.p.skip_to_semi()?;
                    continue;
                }
            };
            match record {
                Outcome::Done(record) => self.log.entries.push(Entry { line, record }),
                Outcome::Bad => {
                    let known = self.log.torn.is_some() || self.log.dropped.last().is_some_and(|d| d.line == line);
                    if !known {
                        self.log.dropped.push(TornRecord { line, what: keyword });
                    }
                }
            }
            if self.log.torn.is_some() {
                break;
            }
        }
        if self.p.lex.offset() < self.input.len() {
            // A 0xff byte reads as end of file in ISC's lexer; it stops there.
            let line = self.p.lex.current_line();
            self.p.log_error(format!(
                "{} line {}: byte 0xff ends the lease file here; the rest is ignored.",
                self.log.file_name, line
            ));
        }
        Ok(())
    }

    /// A `lease` record: parsed, then entered, dropped as corrupt, or
    /// dropped as torn.
    fn lease_record(&mut self, line: u32) -> PResult<Outcome<Record>> {
        let (outcome, eof_in_body, ip_text) = self.lease_declaration()?;
        let what = format!("lease {}", ip_text);
        if eof_in_body {
            // ISC would enter the partial lease; we keep the last whole one.
            self.torn(line, what);
            return Ok(Outcome::Bad);
        }
        match outcome {
            Outcome::Done(lease) => Ok(Outcome::Done(Record::Lease(lease))),
            Outcome::Bad => {
                self.p.parse_warn("possibly corrupt lease file");
                if self.at_end()? {
                    self.torn(line, what);
                } else {
                    self.log.dropped.push(TornRecord { line, what });
                }
                Ok(Outcome::Bad)
            }
        }
    }

    /// The input bytes in `start..end` (empty if out of range).
    pub(super) fn input_slice(&self, start: usize, end: usize) -> Vec<u8> {
        self.input.get(start..end).unwrap_or_default().to_vec()
    }

    /// True when nothing but end of file remains. Looks at the raw bytes
    /// first so that, anywhere but at the very end, the lexer is not moved
    /// (its line buffer is what ISC's messages show).
    pub(super) fn at_end(&mut self) -> PResult<bool> {
        let rest = self.input.get(self.p.lex.offset()..).unwrap_or_default();
        let mut i = 0;
        while let Some(&b) = rest.get(i) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => i += 1,
                b'#' => {
                    while rest.get(i).is_some_and(|&c| c != b'\n') {
                        i += 1;
                    }
                }
                // ISC's lexer reads 0xff as end of file.
                0xff => break,
                _ => return Ok(false),
            }
        }
        Ok(self.p.peek_token()? == Token::Eof)
    }

    fn torn(&mut self, line: u32, what: String) {
        self.p.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            at: None,
            message: format!(
                "{} line {}: {} is cut short by the end of the file (torn write); dropped.",
                self.log.file_name, line, what
            ),
        });
        self.log.torn = Some(TornRecord { line, what });
    }

    /// Marks a non-lease record torn when the file ended inside it.
    fn check_torn<T>(&mut self, line: u32, what: &str, closed: bool, out: Outcome<T>) -> PResult<Outcome<T>> {
        if !closed && self.at_end()? {
            self.torn(line, what.to_string());
            return Ok(Outcome::Bad);
        }
        Ok(out)
    }

    /// `{` (ISC `parse_lbrace`).
    pub(super) fn lbrace(&mut self) -> PResult<bool> {
        if !self.p.next_token()?.is(b'{') {
            self.p.parse_warn("expecting left brace.");
            self.p.skip_to_semi()?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Reads up to the `}` closing a block whose `{` was just consumed and
    /// returns its text; `None` when the file ends first.
    pub(super) fn capture_block(&mut self) -> PResult<Option<Block>> {
        let start = self.p.lex.offset();
        let mut depth = 0usize;
        let mut heads: Vec<Vec<(Token, String)>> = Vec::new();
        let mut cur: Vec<(Token, String)> = Vec::new();
        let mut nonempty = false;
        loop {
            let t = self.p.next_token()?;
            if t == Token::Eof {
                return Ok(None);
            }
            if t.is(b'}') {
                if depth == 0 {
                    let end = self.p.lex.offset().saturating_sub(1);
                    let text = self.input.get(start..end).unwrap_or_default().to_vec();
                    if !cur.is_empty() {
                        heads.push(cur);
                    }
                    return Ok(Some(Block { text, heads, nonempty }));
                }
                depth -= 1;
                if depth == 0 && !cur.is_empty() {
                    heads.push(std::mem::take(&mut cur));
                }
                continue;
            }
            nonempty = true;
            if t.is(b'{') {
                depth += 1;
                continue;
            }
            if depth == 0 {
                if t.is(b';') {
                    heads.push(std::mem::take(&mut cur));
                } else if cur.len() < 3 {
                    cur.push((t, self.p.val()));
                }
            }
        }
    }

    // ----- failover peer "X" state { ... } -------------------------------

    /// After `failover` (ISC `parse_failover_state_declaration` with no peer).
    fn failover_state_declaration(&mut self) -> PResult<Outcome<FailoverStateRecord>> {
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
    fn server_duid(&mut self) -> PResult<Outcome<Vec<u8>>> {
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
    fn authoring_byte_order(&mut self) -> PResult<Outcome<ByteOrder>> {
        let line = self.p.lex.position().line;
        if self.byte_order_seen {
            self.p.parse_warn(
                "authoring-byte-order specified too late.\nIt must occur before the first lease in file\n",
            );
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
    fn host_declaration(&mut self) -> PResult<Outcome<HostRecord>> {
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
    fn group_declaration(&mut self) -> PResult<Outcome<GroupRecord>> {
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

    /// Skips an `ia-na`/`ia-ta`/`ia-pd` block: its identifier, then the
    /// braces.
    fn skip_v6_block(&mut self) -> PResult<()> {
        loop {
            let t = self.p.next_token()?;
            if t == Token::Eof || t.is(b';') {
                return Ok(());
            }
            if t.is(b'{') {
                self.capture_block()?;
                return Ok(());
            }
        }
    }
}

impl Block {
    /// Whether a top-level statement is exactly `KEYWORD ;`.
    fn has_flag(&self, kw: K) -> bool {
        self.heads.iter().any(|h| h.len() == 1 && h[0].0 == Token::Kw(kw))
    }
}

/// C `atol` over a token: optional sign, then digits; wraps on overflow.
pub(super) fn atol(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-') | Some(b'+')) {
        i += 1;
    }
    let mut v: i64 = 0;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add(i64::from(d - b'0'));
        i += 1;
    }
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}
