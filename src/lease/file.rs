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
//!   A file ending in the first letters of a record's keyword (`lea`) is
//!   such a tail too; ISC calls it corrupt.
//! * The checks ISC makes against the configuration while parsing (unknown
//!   failover peers and classes, `mclt` on a primary) are made only when the
//!   caller supplies [`ConfigFacts`]; without them every name is accepted.
//!   Checks ISC makes after parsing (leases outside every subnet, BACKUP
//!   leases in pools without a peer) belong to the engine.
//! * `timestamp` inside a lease makes ISC exit ("Impossible error"); we
//!   report it and drop that lease.
//! * `ia-na`/`ia-ta`/`ia-pd` (DHCPv6) blocks are skipped with ISC's
//!   message for a DHCPv4 server.
//!
//! Nothing here panics or loops forever, whatever the bytes: every loop
//! consumes a token or stops at end of file.

use std::rc::Rc;

use super::records::{Entry, LeaseLog, Record, TornRecord};
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
/// as ISC does; the only error is a condition on which ISC exits. Blocks in
/// the layout ISC writes take the fast path ([`scan`](super::scan)); the
/// rest goes through the ISC-compatible parser, with the same result as
/// [`read_lease_file_slow`] would give.
pub fn read_lease_file(file_name: &str, bytes: &[u8], opts: ReadOptions<'_>) -> Result<LeaseLog, ReadError> {
    let mut log = LeaseLog { file_name: file_name.to_string(), ..LeaseLog::default() };
    let mut src = bytes;
    let summary = match super::stream::read_stream(file_name, &mut src, opts, &mut log.entries) {
        Ok(s) => s,
        Err(super::stream::StreamError::Fatal(e)) => return Err(e),
        // Reading from a slice cannot fail.
        Err(super::stream::StreamError::Io(e)) => {
            return Err(ReadError {
                file: file_name.to_string(),
                line: 0,
                message: e.to_string(),
                diagnostics: Vec::new(),
            })
        }
    };
    log.diagnostics = summary.diagnostics;
    log.torn = summary.torn;
    log.dropped = summary.dropped;
    Ok(log)
}

/// Reads a whole lease file with the ISC-compatible parser alone (no fast
/// path). The reference the fast path is tested against.
pub fn read_lease_file_slow(file_name: &str, bytes: &[u8], opts: ReadOptions<'_>) -> Result<LeaseLog, ReadError> {
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
        Err(Fatal(message)) => Err(r.fatal(message, Vec::new())),
    }
}

/// Where, in a window starting at a line start, the lexer takes up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Resume {
    /// The window's first line number.
    pub(super) line: u32,
    /// Bytes of the window already read.
    pub(super) skip: usize,
    /// The last of them was pushed back and is read again.
    pub(super) reread: bool,
    /// Line of the last token read (0: none).
    pub(super) token_line: u32,
}

/// What a window of a big file inherits from the records before it.
#[derive(Default, Clone)]
pub(super) struct Carry {
    /// Classes the file declared so far.
    pub(super) file_classes: Vec<String>,
    /// `authoring-byte-order` was seen.
    pub(super) byte_order_seen: bool,
    /// Records dropped so far.
    pub(super) dropped: Vec<TornRecord>,
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
    pub(super) facts: Option<&'l ConfigFacts>,
    /// Classes the file itself declared so far (they exist for later records).
    pub(super) file_classes: Vec<String>,
    pub(super) log: LeaseLog,
    pub(super) byte_order_seen: bool,
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
    /// A reader for a window of a file: `input` starts at the beginning of
    /// line `at.line`, whose predecessor reads `prev_line`; the lexer takes
    /// up where `at` says (see [`Lexer::resume`](crate::conf::lexer::Lexer::resume)).
    pub(super) fn window(
        file_name: &str,
        input: Rc<[u8]>,
        at: Resume,
        prev_line: &[u8],
        loader: &'l MemLoader,
        opts: ReadOptions<'l>,
        carry: Carry,
    ) -> Reader<'l> {
        let mut p = Parser::new(file_name, input.clone(), loader);
        p.lex = crate::conf::lexer::Lexer::resume(input.clone(), at.line, prev_line, at.skip, at.reread, at.token_line);
        Reader {
            p,
            input,
            now: opts.now,
            facts: opts.config,
            file_classes: carry.file_classes,
            log: LeaseLog { file_name: file_name.to_string(), dropped: carry.dropped, ..LeaseLog::default() },
            byte_order_seen: carry.byte_order_seen,
        }
    }

    /// Hands the state later records need to the next window.
    pub(super) fn take_carry(&mut self) -> Carry {
        Carry {
            file_classes: std::mem::take(&mut self.file_classes),
            byte_order_seen: self.byte_order_seen,
            dropped: std::mem::take(&mut self.log.dropped),
        }
    }

    /// The error for a condition ISC exits on; `earlier` are the messages
    /// of the file's earlier windows.
    pub(super) fn fatal(&mut self, message: String, mut earlier: Vec<Diagnostic>) -> ReadError {
        let line = self.p.diagnostics.last().and_then(|d| d.at.as_ref()).map_or(0, |(_, pos)| pos.line);
        let detail = self.p.diagnostics.last().map(|d| d.message.clone()).unwrap_or(message);
        earlier.append(&mut self.p.diagnostics);
        ReadError { file: self.log.file_name.clone(), line, message: detail, diagnostics: earlier }
    }

    fn read_all(&mut self) -> PResult<()> {
        while self.read_one()? {
            if self.log.torn.is_some() {
                break;
            }
        }
        if self.p.lex.offset() < self.input.len() {
            self.stopped_at_ff();
        }
        Ok(())
    }

    /// A 0xff byte reads as end of file in ISC's lexer; it stops there.
    pub(super) fn stopped_at_ff(&mut self) {
        let line = self.p.lex.current_line();
        self.p.log_error(format!(
            "{} line {}: byte 0xff ends the lease file here; the rest is ignored.",
            self.log.file_name, line
        ));
    }

    /// Reads one top-level record (or skips one piece of garbage). Returns
    /// false at the end of the input.
    pub(super) fn read_one(&mut self) -> PResult<bool> {
        {
            let t = self.p.next_token()?;
            let line = self.p.lex.position().line;
            let keyword = self.p.val();
            let record = match t {
                Token::Eof => return Ok(false),
                Token::Kw(K::Lease) => self.lease_record(line)?,
                Token::Kw(K::Failover) => self.failover_state_declaration()?.map(Record::FailoverState),
                Token::Kw(K::ServerDuid) => self.server_duid()?.map(Record::ServerDuid),
                Token::Kw(K::AuthoringByteOrder) => self.authoring_byte_order()?.map(Record::AuthoringByteOrder),
                Token::Kw(K::Host) => self.host_declaration()?.map(Record::Host),
                Token::Kw(K::Group) => self.group_declaration()?.map(Record::Group),
                Token::Kw(K::Class) => self.class_declaration(false)?.map(Record::Class),
                Token::Kw(K::Subclass) => self.class_declaration(true)?.map(Record::Class),
                Token::Kw(kw @ (K::IaNa | K::IaTa | K::IaPd)) => {
                    let name = match kw {
                        K::IaNa => "IA_NA",
                        K::IaTa => "IA_TA",
                        _ => "IA_PD",
                    };
                    self.p.parse_warn(format!("{} is only supported in DHCPv6 mode.", name));
                    self.p.skip_to_semi()?;
                    Outcome::Bad
                }
                _ => {
                    // The start of a record's keyword and then the end of
                    // the file: an append cut short (ISC calls it corrupt).
                    if t != Token::String && is_record_prefix(self.p.lex.value()) {
                        let what = format!("a record starting `{}`", String::from_utf8_lossy(self.p.lex.value()));
                        if self.at_end()? {
                            self.torn(line, what);
                            return Ok(true);
                        }
                    }
                    self.p.log_error("Corrupt lease file - possible data loss!");
                    self.p.skip_to_semi()?;
                    return Ok(true);
                }
            };
            match record {
                Outcome::Done(record) => {
                    let diagnostics_through = self.p.diagnostics.len();
                    self.log.entries.push(Entry { line, diagnostics_through, record })
                }
                Outcome::Bad => {
                    let known = self.log.torn.is_some() || self.log.dropped.last().is_some_and(|d| d.line == line);
                    if !known {
                        self.log.dropped.push(TornRecord { line, what: keyword });
                    }
                }
            }
        }
        Ok(true)
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

    /// Marks a non-lease record torn when the file ended inside it: the
    /// record did not close, the last token read was the end of the file,
    /// and the file does not end the way every complete record does (a `}`
    /// alone on its last line). A malformed record whose error recovery ran
    /// to the end of a complete file is bad, not torn. A 0xff byte ends the
    /// file for ISC's lexer, so the file's end is there when one stopped it.
    pub(super) fn check_torn<T>(
        &mut self,
        line: u32,
        what: &str,
        closed: bool,
        out: Outcome<T>,
    ) -> PResult<Outcome<T>> {
        let last_was_eof = self.p.lex.consumed_eof();
        let offset = self.p.lex.offset();
        let file_end = if offset < self.input.len() { offset.saturating_sub(1) } else { self.input.len() };
        let text = self.input.get(..file_end).unwrap_or_default();
        let end = text.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
        let body = &text[..end];
        let ends_with_record = body.ends_with(b"\n}") || body == b"}";
        if !closed && last_was_eof && !ends_with_record && self.at_end()? {
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
}

impl Block {
    /// Whether a top-level statement is exactly `KEYWORD ;`.
    pub(super) fn has_flag(&self, kw: K) -> bool {
        self.heads.iter().any(|h| h.len() == 1 && h[0].0 == Token::Kw(kw))
    }
}

/// Whether `word` is the beginning (not the whole) of a record keyword.
fn is_record_prefix(word: &[u8]) -> bool {
    const RECORDS: [&[u8]; 8] =
        [b"lease", b"failover", b"server-duid", b"authoring-byte-order", b"host", b"group", b"class", b"subclass"];
    !word.is_empty() && RECORDS.iter().any(|r| r.len() > word.len() && r.starts_with(word))
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
