//! Reading a lease file of any size in one pass, fast where it can be.
//!
//! [`read_stream`] reads from any `Read` through a window of at most a few
//! megabytes, so a 1 GB file never sits in memory. At each line start it
//! tries the fast path ([`scan::scan_block`](super::scan::scan_block)) on a
//! `lease` block in ISC's layout; blank and comment lines are skipped; for
//! anything else it hands a stretch of the file, up to the next block the
//! fast path takes, to the ISC-compatible reader ([`file`](super::file)),
//! which produces ISC's messages at the right lines. That reader resumes
//! exactly where the file is (line number, the line read so far, a pushed
//! back character), so its messages are the ones it would print reading
//! the whole file at once. If one of its records runs into the end of the
//! stretch, the record is read again from a longer one: the end of a
//! stretch is never mistaken for the end of the file.
//!
//! Records are handed to a [`Sink`] as they are read, with where they came
//! from ([`Origin`]); a caller that keeps only what it needs (as `dhcpd -T`
//! does) reads a million leases in a small, constant amount of memory.

use std::io::{self, Read};
use std::rc::Rc;

use super::file::{Carry, ReadError, ReadOptions, Reader, Resume};
use super::records::{Entry, Record, TornRecord};
use super::scan::{scan_block, LeaseBlock};
use crate::conf::diag::Diagnostic;
use crate::conf::parser::{Fatal, MemLoader};

/// Bytes read ahead of the current position before looking at a record,
/// and the least read at a time (tiny in unit tests, so that every
/// boundary gets crossed).
const LOOKAHEAD: usize = if cfg!(test) { 64 } else { 1 << 20 };
/// How far the fast path may need to look for one block before giving up.
const MAX_FAST_BLOCK: usize = 1 << 20;
/// First size of a stretch handed to the full reader.
const SLOW_STRETCH: usize = if cfg!(test) { 32 } else { 1 << 16 };
/// Bytes kept before the current position before the buffer is shifted.
const KEEP: usize = if cfg!(test) { 128 } else { 4 << 20 };

/// Where a record came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The fast path read it from these bytes of the file.
    Fast {
        /// Offset of `lease` in the file.
        offset: u64,
        /// Length through the newline after `}`.
        len: u32,
        /// The writer (UTC dates, octal ids) prints exactly these bytes.
        canonical: bool,
    },
    /// The full reader read it.
    Slow,
}

/// Receives records and messages in ISC's order: a record's messages
/// before the record.
pub trait Sink {
    /// One message, final (it will not be taken back).
    fn diagnostic(&mut self, _d: &Diagnostic) {}
    /// One accepted record.
    fn record(&mut self, entry: Entry, origin: Origin);
    /// One lease block the fast path read at `offset` in the file, on
    /// `line`, after `diagnostics_through` messages; by default built whole
    /// and handed to [`Sink::record`]. A sink that needs only some of its
    /// fields takes them here without building the lease.
    fn fast_lease(&mut self, block: &LeaseBlock<'_>, offset: u64, line: u32, diagnostics_through: usize) {
        let origin = Origin::Fast { offset, len: block.len as u32, canonical: block.canonical };
        self.record(Entry { line, diagnostics_through, record: Record::Lease(block.lease()) }, origin);
    }
}

impl Sink for Vec<Entry> {
    fn record(&mut self, entry: Entry, _: Origin) {
        self.push(entry);
    }
}

/// What the reader reports besides the records.
#[derive(Debug, Default)]
pub struct Summary {
    /// Every message, in ISC's order.
    pub diagnostics: Vec<Diagnostic>,
    /// The incomplete last record, if any.
    pub torn: Option<TornRecord>,
    /// Malformed records that were dropped.
    pub dropped: Vec<TornRecord>,
    /// Bytes read.
    pub bytes: u64,
}

/// Why reading stopped short.
#[derive(Debug)]
pub enum StreamError {
    /// The source failed.
    Io(io::Error),
    /// A condition on which ISC exits.
    Fatal(ReadError),
}

/// The read-ahead buffer over the source.
struct Buf<'r> {
    src: &'r mut dyn Read,
    /// The bytes read are `mem[..filled]`; the rest is room for the next
    /// reads, kept initialised so that refilling never clears it again.
    mem: Vec<u8>,
    filled: usize,
    /// File offset of `mem[0]`.
    base: u64,
    eof: bool,
}

impl Buf<'_> {
    /// The bytes read and not yet forgotten.
    fn data(&self) -> &[u8] {
        &self.mem[..self.filled]
    }

    /// Reads until the buffer holds `end` bytes or the source is exhausted,
    /// at least [`LOOKAHEAD`] bytes at a time.
    fn fill_to(&mut self, end: usize) -> io::Result<()> {
        while self.filled < end && !self.eof {
            let want = (end - self.filled).max(LOOKAHEAD);
            if self.mem.len() < self.filled + want {
                self.mem.resize(self.filled + want, 0);
            }
            match self.src.read(&mut self.mem[self.filled..self.filled + want]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Forgets bytes before `keep_from` when that frees enough to matter.
    /// Returns how far indexes moved down.
    fn compact(&mut self, keep_from: usize) -> usize {
        if keep_from < KEEP || keep_from < self.filled / 2 {
            return 0;
        }
        self.mem.copy_within(keep_from..self.filled, 0);
        self.filled -= keep_from;
        self.base += keep_from as u64;
        keep_from
    }
}

/// Reads the lease file from `src` in one pass; records go to `sink`.
pub fn read_stream(
    file_name: &str,
    src: &mut dyn Read,
    opts: ReadOptions<'_>,
    sink: &mut dyn Sink,
) -> Result<Summary, StreamError> {
    let loader = MemLoader(Vec::new());
    let mut s = Stream {
        name: file_name,
        opts,
        buf: Buf { src, mem: Vec::new(), filled: 0, base: 0, eof: false },
        pos: 0,
        line: 1,
        resume: (0, Resume { line: 1, skip: 0, reread: false, token_line: 0 }),
        blank_run: 0,
        carry: Carry::default(),
        summary: Summary::default(),
        done: false,
        loader: &loader,
    };
    s.run(sink)?;
    s.summary.dropped = std::mem::take(&mut s.carry.dropped);
    s.summary.bytes = s.buf.base + s.buf.filled as u64;
    Ok(s.summary)
}

/// Blank lines the fast path skips in a row before leaving them to the
/// full reader (ISC's lexer gives up on a whitespace run of 1500 bytes).
const MAX_BLANK_RUN: usize = 1000;

struct Stream<'a, 'r> {
    name: &'a str,
    opts: ReadOptions<'a>,
    buf: Buf<'r>,
    /// Index in `buf.data` of the next byte; a line start on the fast path.
    pos: usize,
    /// Line number at `pos`.
    line: u32,
    /// Where the full reader would take up reading exactly as if it had
    /// read everything before: the index of a line start in `buf.data` and
    /// the lexer's state there (right after the last token read).
    resume: (usize, Resume),
    /// Newlines skipped since the last token.
    blank_run: usize,
    carry: Carry,
    summary: Summary,
    /// Reading is over (end of file, torn tail, 0xff byte).
    done: bool,
    loader: &'a MemLoader,
}

/// The full reader's state after one of its records.
struct Boundary {
    /// Lexer offset in the window.
    offset: usize,
    /// Where to take up from there.
    at: Resume,
    /// Line start of `offset`, as an index in the window.
    line_start: usize,
    /// Records and messages up to here.
    entries: usize,
    diagnostics: usize,
    carry: (usize, usize, bool),
}

impl Stream<'_, '_> {
    fn io(e: io::Error) -> StreamError {
        StreamError::Io(e)
    }

    fn run(&mut self, sink: &mut dyn Sink) -> Result<(), StreamError> {
        while !self.done {
            // Keep the resume point's line and the one before it.
            let keep = self.resume.0.min(self.pos).saturating_sub(256);
            let shift = self.buf.compact(keep);
            self.pos -= shift;
            self.resume.0 -= shift;
            self.buf.fill_to(self.pos + LOOKAHEAD).map_err(Self::io)?;
            let data = self.buf.data();
            let Some(&b) = data.get(self.pos) else {
                // The end: the full reader reads what the fast path skipped
                // since the last block, as it would report an unterminated
                // whitespace run or comment itself.
                if self.resume.0 + self.resume.1.skip < self.pos {
                    self.slow(sink)?;
                }
                break;
            };
            if b == b'\n' && self.blank_run < MAX_BLANK_RUN {
                self.pos += 1;
                self.line += 1;
                self.blank_run += 1;
                continue;
            }
            if b == b'#' {
                let nl = memchr(b'\n', &data[self.pos..]);
                // A 0xff byte ends the file for ISC's lexer, even in a comment.
                if let Some(nl) = nl.filter(|&nl| !data[self.pos..self.pos + nl].contains(&0xff)) {
                    // A comment ends a whitespace run.
                    self.pos += nl + 1;
                    self.line += 1;
                    self.blank_run = 1;
                    continue;
                }
                if !self.buf.eof {
                    let want = data.len() * 2;
                    self.buf.fill_to(want).map_err(Self::io)?;
                    continue;
                }
            }
            if b == b'l' && data[self.pos..].starts_with(b"lease ") && self.blank_run < MAX_BLANK_RUN {
                let offset = self.buf.base + self.pos as u64;
                let (line, through) = (self.line, self.summary.diagnostics.len());
                if let Some(block) = self.fast()? {
                    sink.fast_lease(&block, offset, line, through);
                    let (len, lines) = (block.len, block.lines);
                    self.pos += len;
                    self.line += lines;
                    // The block's `}` is alone on its last line.
                    let brace_line = self.line - 1;
                    self.resume =
                        (self.pos - 2, Resume { line: brace_line, skip: 1, reread: false, token_line: brace_line });
                    self.blank_run = 1;
                    continue;
                }
            }
            self.slow(sink)?;
        }
        Ok(())
    }

    /// The fast path at `pos`, with as much of the file ahead as one block
    /// may take, so that a block it refuses is refused for good.
    fn fast(&mut self) -> Result<Option<LeaseBlock<'_>>, StreamError> {
        self.buf.fill_to(self.pos + MAX_FAST_BLOCK).map_err(Self::io)?;
        Ok(scan_block(&self.buf.data()[self.pos..]))
    }

    /// The first line start at or after `from` where the fast path takes a
    /// block; `None` at the end of the file.
    fn next_fast_start(&mut self, from: usize) -> Result<Option<usize>, StreamError> {
        let mut at = from;
        loop {
            let data = self.buf.data();
            let line_start = at == 0 || data.get(at - 1) == Some(&b'\n');
            if line_start && at < data.len() {
                if data[at..].starts_with(b"lease ") && scan_block(&data[at..]).is_some() {
                    return Ok(Some(at));
                }
                if data.len() - at < MAX_FAST_BLOCK && !self.buf.eof && data[at..].starts_with(b"lease ") {
                    // Possibly a block cut by the end of the buffer.
                    if memchr_seq(b"\n}\n", &data[at..]).is_none() {
                        let want = data.len() + LOOKAHEAD;
                        self.buf.fill_to(want).map_err(Self::io)?;
                        continue;
                    }
                }
            }
            match memchr(b'\n', &data[at.min(data.len())..]) {
                Some(nl) => at = at + nl + 1,
                None if self.buf.eof => return Ok(None),
                None => {
                    let want = data.len() + LOOKAHEAD;
                    self.buf.fill_to(want).map_err(Self::io)?;
                }
            }
        }
    }

    /// The text of the line before the one starting at `line_start`.
    fn prev_line_text(&self, line_start: usize) -> Vec<u8> {
        if line_start == 0 {
            return Vec::new();
        }
        let data = &self.buf.data()[..line_start - 1];
        let from = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        data[from..].iter().take(80).copied().collect()
    }

    /// Reads with the full reader from the resume point up to the next
    /// block the fast path takes (or the end of the file), then hands back
    /// to the fast path.
    fn slow(&mut self, sink: &mut dyn Sink) -> Result<(), StreamError> {
        // How far past the resume point the stretch must reach: at first
        // just past the line the fast path refused, then further each time
        // a record runs on past the stretch's end.
        let mut stretch = 0usize;
        loop {
            let (start, at) = self.resume;
            // The stretch ends at a block for the fast path at least
            // `stretch` bytes on, or at the end of the file.
            let from = (start + at.skip).max(self.pos + 1);
            let mut end = None;
            let mut probe = from;
            while let Some(e) = self.next_fast_start(probe)? {
                if e >= start + at.skip + stretch && e > self.pos {
                    end = Some(e);
                    break;
                }
                probe = e + 1;
            }
            let end = end.unwrap_or(self.buf.filled);
            let is_last = self.buf.eof && end == self.buf.filled;
            let window: Rc<[u8]> = Rc::from(&self.buf.data()[start..end]);
            let prev = self.prev_line_text(start);
            let carry_before = self.carry.clone();
            let carry = std::mem::take(&mut self.carry);
            let mut r = Reader::window(self.name, window.clone(), at, &prev, self.loader, self.opts, carry);
            let mut last_good: Option<Boundary> = None;
            let mut cut = false;
            let mut ended_early = false;
            loop {
                let more = match r.read_one() {
                    Ok(m) => m,
                    Err(Fatal(msg)) => {
                        let earlier = std::mem::take(&mut self.summary.diagnostics);
                        return Err(StreamError::Fatal(r.fatal(msg, earlier)));
                    }
                };
                let offset = r.p.lex.offset();
                if offset >= window.len() && !is_last && (more || r.log.torn.is_some()) {
                    // This record may go on past the stretch.
                    cut = true;
                    break;
                }
                if !more {
                    ended_early = offset < window.len();
                    break;
                }
                if r.log.torn.is_some() {
                    // A torn record before the end of the stretch: a 0xff
                    // byte ended the file inside it.
                    ended_early = offset < window.len();
                    break;
                }
                if !r.p.lex.has_lookahead() {
                    let pending = r.p.lex.reread_pending();
                    let nl_pending = pending && window.get(offset) == Some(&b'\n');
                    let line_start = window[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                    let line_start = if nl_pending {
                        window[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
                    } else {
                        line_start
                    };
                    last_good = Some(Boundary {
                        offset,
                        at: Resume {
                            line: r.p.lex.current_line() - u32::from(nl_pending),
                            skip: offset - line_start + usize::from(pending),
                            reread: pending,
                            token_line: r.p.lex.position().line,
                        },
                        line_start,
                        entries: r.log.entries.len(),
                        diagnostics: r.p.diagnostics.len(),
                        carry: (r.log.dropped.len(), r.file_classes.len(), r.byte_order_seen),
                    });
                }
            }
            if cut {
                match last_good.take() {
                    Some(b) if b.offset > at.skip => {
                        // Keep what came before the record that ran on; take
                        // up again right after the last whole record.
                        r.p.diagnostics.truncate(b.diagnostics);
                        r.log.entries.truncate(b.entries);
                        r.log.dropped.truncate(b.carry.0);
                        r.file_classes.truncate(b.carry.1);
                        r.byte_order_seen = b.carry.2;
                        r.log.torn = None;
                        self.emit(&mut r, sink);
                        self.resume = (start + b.line_start, b.at);
                        stretch = 0;
                    }
                    _ => {
                        // Nothing whole yet: read a longer stretch.
                        self.carry = carry_before;
                        stretch = (2 * (end - start)).max(SLOW_STRETCH);
                    }
                }
                continue;
            }
            if ended_early {
                // A 0xff byte: ISC's lexer reads it as the end of the file.
                r.stopped_at_ff();
                self.done = true;
            }
            if r.log.torn.is_some() || is_last {
                self.done = true;
            }
            self.summary.torn = r.log.torn.take();
            self.emit(&mut r, sink);
            if let Some(b) = last_good {
                self.resume = (start + b.line_start, b.at);
            }
            self.pos = end;
            self.line = r.p.lex.current_line();
            self.blank_run = 0;
            if self.done {
                self.pos = self.buf.filled;
            }
            return Ok(());
        }
    }

    /// Hands a window's records and messages to the sink in ISC's order,
    /// and takes its state back.
    fn emit(&mut self, r: &mut Reader<'_>, sink: &mut dyn Sink) {
        let base = self.summary.diagnostics.len();
        let mut shown = 0;
        for mut e in r.log.entries.drain(..) {
            let through = e.diagnostics_through.min(r.p.diagnostics.len());
            for d in &r.p.diagnostics[shown.min(through)..through] {
                sink.diagnostic(d);
            }
            shown = shown.max(through);
            e.diagnostics_through = base + through;
            sink.record(e, Origin::Slow);
        }
        for d in &r.p.diagnostics[shown..] {
            sink.diagnostic(d);
        }
        self.summary.diagnostics.append(&mut r.p.diagnostics);
        self.carry = r.take_carry();
    }
}

fn memchr(b: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == b)
}

fn memchr_seq(needle: &[u8], hay: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[path = "tests/stream.rs"]
mod tests;
