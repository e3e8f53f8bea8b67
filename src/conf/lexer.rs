//! A lexer that reads dhcpd.conf and dhcpd.leases the way ISC dhcpd 4.4 does.
//!
//! Agreeing with `dhcpd -t` means more than agreeing on tokens: every error
//! message carries ISC's line number, a copy of the source line *as far as the
//! lexer had read it*, and a caret at ISC's column. Those three depend on
//! details of ISC's scanner — one character of read-ahead that is counted
//! once, an 80-column line buffer, two line buffers swapped at each newline,
//! and a one-token look-ahead that keeps the position of the previously
//! consumed token. This module reproduces that state exactly so the parser can
//! report errors where ISC does; it is our own code written from the
//! documented behaviour and checked against the real binary.
//!
//! Other behaviours kept on purpose because configurations depend on them:
//! * a token starting with a digit or `-` is never a keyword; a lone `-` is a
//!   `Number` token (ISC never returns its MINUS token from there);
//! * a name starting with a letter is `NumberOrName` while every later
//!   character is a hex digit, so `ab` and `g` are `NumberOrName`, `gh` is `Name`;
//! * a byte `0xFF` reads as end-of-file (ISC's `char` is signed, and -1 is EOF)
//!   but scanning continues after it if the parser asks for more;
//! * a NUL byte is a one-character token that a look-ahead forgets;
//! * tokens longer than 1,499 bytes are cut with a warning, and a run of 1,500
//!   whitespace characters is fatal, as in ISC.
//!
//! The lexer never panics and always makes progress, whatever the bytes.

use std::rc::Rc;

use super::keywords::{self, Keyword};

/// The size of ISC's token buffer; tokens are cut to one byte less.
pub const TOKEN_BUFFER: usize = 1500;
/// ISC keeps at most this many characters of the current line for messages.
const LINE_BUFFER: usize = 80;
/// ISC's end-of-file marker as returned by its character reader.
const EOF: i32 = -1;

/// One token as ISC's lexer classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// Any single character that starts no other token (`;`, `{`, `=`, ...).
    /// Bytes above 0x7f appear here too.
    Punct(u8),
    /// Digits only (also a lone `-`).
    Number,
    /// A token that could be a number in hex or a name (`ab`, `0x1f`, `12ab`).
    NumberOrName,
    /// Any other name-like token that is not a keyword.
    Name,
    /// A quoted string; its value has escapes resolved.
    String,
    /// A reserved word.
    Kw(Keyword),
    /// A run of whitespace, only seen through the raw token functions.
    Whitespace,
    /// End of input.
    Eof,
}

impl Token {
    /// ISC's `is_identifier`: names, number-or-names and every keyword.
    pub fn is_identifier(self) -> bool {
        matches!(self, Token::Name | Token::NumberOrName | Token::Kw(_) | Token::Whitespace)
    }

    /// True for the given punctuation character.
    pub fn is(self, c: u8) -> bool {
        self == Token::Punct(c)
    }
}

/// A message the lexer itself raises (ISC calls `parse_warn` from inside its scanner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexEvent {
    /// A recoverable problem, reported like any parse error.
    Warn(String),
    /// Whitespace overflowed the token buffer; ISC exits.
    FatalWhitespace,
}

/// The scanner state for one file. Cloning it saves a parse position
/// (ISC's `save_parse_state`).
#[derive(Clone)]
pub struct Lexer {
    input: Rc<[u8]>,
    pos: usize,
    /// Bytes in front of the caller's text (see [`Lexer::resume`]).
    base: usize,
    /// The next character was pushed back; reading it again must not be
    /// counted or copied into the line buffer a second time.
    pushed_back: bool,
    /// When set, a newline is a token of its own (line-oriented files).
    eol_token: bool,
    line: u32,
    lines: LineBuffers,
    /// The line buffer (0 or 1) an error message shows (ISC `token_line`).
    token_line: usize,
    /// The look-ahead token, if any (ISC's `token`, 0 meaning none).
    peeked: Option<Token>,
    /// Line and column saved across a look-ahead (ISC's `tline`/`tlpos`).
    saved_line: u32,
    saved_col: u32,
    /// Where the current token starts (ISC's `lexline`/`lexchar`).
    token_start_line: u32,
    token_start_col: u32,
    tokbuf: Box<[u8; TOKEN_BUFFER]>,
    token_len: usize,
    /// The value of a one-character token lives apart from the token buffer.
    punct_value: u8,
    value_is_punct: bool,
    events: Vec<(u32, u32, usize, LexEvent)>,
    /// The last token consumed was the end of the input.
    consumed_eof: bool,
}

/// ISC's two 80-column line buffers and its column counter, kept as the
/// input offsets they would be filled from rather than filled byte by byte.
///
/// ISC copies every character it reads into the current line's buffer (up
/// to 80) and counts the column; at a newline it swaps buffers and starts
/// the other one afresh. A buffer therefore always holds the characters
/// read since its line began, minus the 0xFF bytes (read as EOF, neither
/// copied nor counted), cut at 80; the column is one more than their
/// number. Both follow from where the line began and how far the scanner
/// has read, so they are computed only when a token starts or a message
/// needs them, and a saved position is a few words.
#[derive(Clone, Copy, Debug)]
struct LineBuffers {
    /// Input offset where each buffer's line begins.
    start: [usize; 2],
    /// Input offset of the newline that ended each buffer's line (for the
    /// current buffer: the line before, unused).
    end: [usize; 2],
    /// The buffer of the line being read (ISC `cur_line`); the other is
    /// ISC's `prev_line`.
    cur: usize,
    /// 0xFF bytes read on the current line.
    skipped: usize,
    /// Where the current line's text stops for good once the scanner gave
    /// up (fatal whitespace), though its position jumps to the end;
    /// `usize::MAX` until then (a bound, not an option: it is read for
    /// every token).
    frozen: usize,
}

/// A saved scan position; see [`Lexer::snapshot`].
#[derive(Clone)]
pub struct LexerSnapshot {
    pos: usize,
    pushed_back: bool,
    line: u32,
    lines: LineBuffers,
    token_line: usize,
    peeked: Option<Token>,
    saved_line: u32,
    saved_col: u32,
    token_start_line: u32,
    token_start_col: u32,
    token: SavedToken,
    punct_value: u8,
    value_is_punct: bool,
}

/// The token buffer up to the current token, inline when short (numbers
/// and names, which is what the parser saves positions around).
#[derive(Clone)]
struct SavedToken {
    len: usize,
    short: [u8; 32],
    long: Vec<u8>,
}

impl SavedToken {
    fn new(token: &[u8]) -> Self {
        let mut short = [0u8; 32];
        let long = match short.get_mut(..token.len()) {
            Some(dst) => {
                dst.copy_from_slice(token);
                Vec::new()
            }
            None => token.to_vec(),
        };
        SavedToken { len: token.len(), short, long }
    }

    fn bytes(&self) -> &[u8] {
        self.short.get(..self.len).unwrap_or(&self.long)
    }
}

/// Where an error should point: ISC's `lexline`, `lexchar` and `token_line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// 1-based line of the token the parser last consumed (or peeked).
    pub line: u32,
    /// ISC's column for it (usually the 1-based column plus one).
    pub col: u32,
    /// The source line as far as the lexer has read it, cut at 80 bytes or at a NUL.
    pub text: Vec<u8>,
}

/// What [`Lexer::get_raw_token`] does with whitespace.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ws {
    /// Return it as a token.
    Keep,
    /// Drop it (a look-ahead).
    Skip,
    /// Drop it, noting the current line buffer after each run.
    SkipTrackingLine,
}

// Character classes of the C locale, as ISC's `isspace` and friends see
// them, in one table lookup per character.
const SPACE: u8 = 1;
const DIGIT: u8 = 2;
const ALPHA: u8 = 4;
const HEX: u8 = 8;
/// What a name or number may continue with: letters, digits, `-` and `_`.
const NAME: u8 = 16;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut k = 0;
        if matches!(c, 0x20 | 0x09..=0x0d) {
            k |= SPACE;
        }
        if c.is_ascii_digit() {
            k |= DIGIT | HEX | NAME;
        }
        if c.is_ascii_alphabetic() {
            k |= ALPHA | NAME;
        }
        if c.is_ascii_hexdigit() {
            k |= HEX;
        }
        if c == b'-' || c == b'_' {
            k |= NAME;
        }
        t[i] = k;
        i += 1;
    }
    t
};

/// The classes of a character from `get_char`; EOF (-1) has none, like
/// the byte 0xFF it shares a table slot with.
#[inline(always)]
fn class(c: i32) -> u8 {
    CLASS[c as u8 as usize]
}
fn is_space(c: i32) -> bool {
    class(c) & SPACE != 0
}
fn is_digit(c: i32) -> bool {
    class(c) & DIGIT != 0
}
fn is_alpha(c: i32) -> bool {
    class(c) & ALPHA != 0
}

impl Lexer {
    /// Starts scanning `input` at line 1.
    pub fn new(input: Rc<[u8]>) -> Self {
        Lexer {
            input,
            pos: 0,
            base: 0,
            pushed_back: false,
            eol_token: false,
            line: 1,
            lines: LineBuffers { start: [0; 2], end: [0; 2], cur: 0, skipped: 0, frozen: usize::MAX },
            token_line: 0,
            peeked: None,
            saved_line: 0,
            saved_col: 0,
            token_start_line: 0,
            token_start_col: 0,
            tokbuf: Box::new([0; TOKEN_BUFFER]),
            token_len: 0,
            punct_value: 0,
            value_is_punct: false,
            events: Vec::new(),
            consumed_eof: false,
        }
    }

    /// Saves the scan position (ISC `save_parse_state`) cheaply: the token
    /// buffer is kept only up to the current token, which is all a restore
    /// can observe short of a string with invalid escapes re-read after it.
    pub fn snapshot(&self) -> LexerSnapshot {
        LexerSnapshot {
            pos: self.pos,
            pushed_back: self.pushed_back,
            line: self.line,
            lines: self.lines,
            token_line: self.token_line,
            peeked: self.peeked,
            saved_line: self.saved_line,
            saved_col: self.saved_col,
            token_start_line: self.token_start_line,
            token_start_col: self.token_start_col,
            token: SavedToken::new(&self.tokbuf[..self.token_len]),
            punct_value: self.punct_value,
            value_is_punct: self.value_is_punct,
        }
    }

    /// Returns to a saved position (ISC `restore_parse_state`).
    pub fn restore(&mut self, s: LexerSnapshot) {
        self.pos = s.pos;
        self.pushed_back = s.pushed_back;
        self.line = s.line;
        self.lines = s.lines;
        self.token_line = s.token_line;
        self.peeked = s.peeked;
        self.saved_line = s.saved_line;
        self.saved_col = s.saved_col;
        self.token_start_line = s.token_start_line;
        self.token_start_col = s.token_start_col;
        let token = s.token.bytes();
        self.token_len = token.len();
        self.tokbuf[..token.len()].copy_from_slice(token);
        self.punct_value = s.punct_value;
        self.value_is_punct = s.value_is_punct;
        self.events.clear();
    }

    /// A scanner over `input` that resumes a longer file as if it had read
    /// everything before: `input` starts at the beginning of line `line`,
    /// `prev_line` is the text of the line before it (for messages that
    /// show it), the first `skip` bytes of `input` were already read (the
    /// last of them pushed back, to be read again, when `reread`), and the
    /// last token read started on line `token_line` (0: none yet).
    /// The lease file reader uses this to parse a window of a big file.
    pub fn resume(input: Rc<[u8]>, line: u32, prev_line: &[u8], skip: usize, reread: bool, token_line: u32) -> Self {
        // The line buffers are offsets into the input, so the previous
        // line's text is put in front of the window and read through; the
        // caller's offsets stay relative to its window (`base`).
        let n = prev_line.len().min(LINE_BUFFER);
        let (mut lex, base) = if line > 1 {
            let mut buf = Vec::with_capacity(n + 1 + input.len());
            buf.extend_from_slice(&prev_line[..n]);
            buf.push(b'\n');
            buf.extend_from_slice(&input);
            let mut lex = Lexer::new(Rc::from(buf));
            lex.line = line - 1;
            (lex, n + 1)
        } else {
            (Lexer::new(input), 0)
        };
        while lex.pos < base {
            lex.get_char();
        }
        lex.base = base;
        lex.token_start_line = token_line;
        // A 0xff byte reads as EOF but is consumed like any other.
        while lex.pos < base + skip.min(lex.input.len() - base) {
            lex.get_char();
        }
        if reread && lex.pos > base {
            lex.pos -= 1;
            lex.pushed_back = true;
        }
        lex
    }

    /// The last character read was pushed back and will be read again
    /// (see [`Lexer::resume`]).
    pub fn reread_pending(&self) -> bool {
        self.pushed_back
    }

    /// Whether a token has been peeked and not consumed yet.
    pub fn has_lookahead(&self) -> bool {
        self.peeked.is_some()
    }

    /// Makes newlines tokens of their own (`Punct(b'\n')`).
    pub fn with_eol_tokens(mut self) -> Self {
        self.eol_token = true;
        self
    }

    /// Reads one character (ISC `get_char`). Inlined: it runs for nearly
    /// every byte of the file. Only newlines and 0xFF bytes change the line
    /// state; ordinary characters are accounted for by the offsets alone.
    #[inline(always)]
    fn get_char(&mut self) -> i32 {
        let Some(&b) = self.input.get(self.pos) else {
            self.pushed_back = false;
            return EOF;
        };
        self.pos += 1;
        if self.pushed_back {
            // Counted when first read (never a 0xFF: EOF is not pushed back).
            self.pushed_back = false;
        } else if b == b'\n' {
            self.new_line();
        } else if b == 0xff {
            self.lines.skipped += 1;
        }
        if b == 0xff {
            EOF
        } else {
            b as i32
        }
    }

    /// ISC's newline: the buffers swap and the column starts again.
    #[inline(always)]
    fn new_line(&mut self) {
        let l = &mut self.lines;
        l.end[l.cur] = self.pos - 1;
        l.cur ^= 1;
        l.start[l.cur] = self.pos;
        l.skipped = 0;
        self.line += 1;
    }

    /// Just past the last character counted on the current line: a pushed
    /// back character was counted already.
    #[inline(always)]
    fn counted_end(&self) -> usize {
        (self.pos + self.pushed_back as usize).min(self.lines.frozen)
    }

    /// ISC's column: one more than the characters counted on this line,
    /// saturating as its counter would.
    #[inline(always)]
    fn col(&self) -> u32 {
        let l = &self.lines;
        // The line's start and its skipped bytes are never past the end.
        let n = self.counted_end().wrapping_sub(l.start[l.cur]).wrapping_sub(l.skipped);
        n.min(u32::MAX as usize - 1) as u32 + 1
    }

    /// What ISC's line buffer `buf` holds, as a C string: the line's
    /// characters without 0xFF bytes, at most 80, cut at a NUL.
    fn line_text(&self, buf: usize) -> Vec<u8> {
        let l = &self.lines;
        let end = if buf == l.cur { self.counted_end() } else { l.end[buf] };
        let bytes = self.input.get(l.start[buf]..end).unwrap_or_default();
        bytes.iter().copied().filter(|&b| b != 0xff).take_while(|&b| b != 0).take(LINE_BUFFER).collect()
    }

    fn unget_char(&mut self, c: i32) {
        if c != EOF {
            self.pos -= 1;
            self.pushed_back = true;
        }
    }

    fn warn(&mut self, event: LexEvent) {
        self.events.push((self.token_start_line, self.token_start_col, self.token_line, event));
    }

    /// Takes the messages the scanner raised, each with the position ISC
    /// would print for it.
    pub fn take_events(&mut self) -> Vec<(Position, LexEvent)> {
        let events = std::mem::take(&mut self.events);
        events
            .into_iter()
            .map(|(line, col, buf, ev)| (Position { line, col, text: self.line_text(buf) }, ev))
            .collect()
    }

    /// True when the scanner has raised messages not yet taken.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Reads one token (ISC `get_raw_token`). With [`Ws::Keep`] a run of
    /// whitespace is a token; otherwise it is read and dropped here and the
    /// next token read at once, as the callers would by asking again
    /// (whitespace leaves the token start alone), without a round trip per
    /// run. [`Ws::SkipTrackingLine`] also updates `token_line` after each
    /// run, as ISC's `next_token` does between the tokens it drops (its
    /// `peek_token` does not), which a message raised by the next token
    /// shows.
    fn get_raw_token(&mut self, ws: Ws) -> Token {
        loop {
            let (l, p) = (self.line, self.col());
            let c = self.get_char();
            if !(c == b'\n' as i32 && self.eol_token) && is_space(c) {
                let t = self.read_whitespace(c);
                if ws == Ws::Keep || !matches!(t, Token::Whitespace) {
                    return t;
                }
                if ws == Ws::SkipTrackingLine {
                    self.token_line = self.lines.cur;
                }
                continue;
            }
            if c == b'#' as i32 {
                self.skip_to_eol();
                continue;
            }
            if c == b'"' as i32 {
                self.token_start_line = l;
                self.token_start_col = p;
                return self.read_string();
            }
            if is_digit(c) || c == b'-' as i32 {
                self.token_start_line = l;
                self.token_start_col = p;
                return self.read_number(c);
            }
            if is_alpha(c) {
                self.token_start_line = l;
                self.token_start_col = p;
                return self.read_num_or_name(c);
            }
            if c == EOF {
                // ISC leaves the value of the previous token in place, so
                // a message quoting the value at end of file quotes it.
                return Token::Eof;
            }
            self.token_start_line = l;
            self.token_start_col = p;
            self.punct_value = c as u8;
            self.value_is_punct = true;
            return Token::Punct(c as u8);
        }
    }

    fn skip_to_eol(&mut self) {
        // Up to the newline (or a 0xFF, which reads as EOF) every character
        // is an ordinary one: skip them at once, then read the terminator.
        let rest = &self.input[self.pos..];
        self.pos += rest.iter().position(|&b| b == b'\n' || b == 0xff).unwrap_or(rest.len());
        self.get_char();
    }

    fn read_whitespace(&mut self, first: i32) -> Token {
        let mut c = first;
        let mut n = 0usize;
        loop {
            if n >= TOKEN_BUFFER - 1 {
                self.warn(LexEvent::FatalWhitespace);
                // ISC exits here; the parser stops at the fatal event, and
                // end-of-file guarantees it does. The line as read so far
                // stays what messages show.
                self.lines.frozen = self.counted_end();
                self.pos = self.input.len();
                return Token::Eof;
            }
            self.tokbuf[n] = c as u8;
            n += 1;
            c = self.get_char();
            if c == EOF {
                return Token::Eof;
            }
            if (c == b'\n' as i32 && self.eol_token) || !is_space(c) {
                break;
            }
        }
        self.unget_char(c);
        self.token_len = n;
        self.value_is_punct = false;
        Token::Whitespace
    }

    #[inline(never)]
    fn read_string(&mut self) -> Token {
        let mut i = 0usize;
        let mut escape = 0u8; // 0: none, 1: after '\', 2..: inside a numeric escape
        let mut hex = false;
        let mut value: u32 = 0;
        while i < TOKEN_BUFFER {
            let c = self.get_char();
            if c == EOF {
                self.warn(LexEvent::Warn("eof in string constant".into()));
                break;
            }
            if escape == 1 {
                let out = match c as u8 {
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'n' => b'\n',
                    b'b' => 8,
                    b'0'..=b'3' => {
                        hex = false;
                        value = (c - b'0' as i32) as u32;
                        escape += 1;
                        continue;
                    }
                    b'x' => {
                        hex = true;
                        value = 0;
                        escape += 1;
                        continue;
                    }
                    other => other,
                };
                self.tokbuf[i] = out;
                escape = 0;
            } else if escape > 1 {
                let digit = if hex {
                    (c as u8 as char).to_digit(16).filter(|_| c < 128)
                } else {
                    (c as u8 as char).to_digit(8).filter(|_| c < 128)
                };
                match digit {
                    Some(d) => {
                        value = value * if hex { 16 } else { 8 } + d;
                        escape += 1;
                        if escape == 4 {
                            self.tokbuf[i] = value as u8;
                            escape = 0;
                        } else {
                            continue;
                        }
                    }
                    None if hex => {
                        self.warn(LexEvent::Warn(format!("invalid hex digit: {:x}", c)));
                        escape = 0;
                        // ISC moves on to the next buffer slot, leaving it as it was.
                    }
                    None if value != 0 => {
                        self.warn(LexEvent::Warn(format!("invalid octal digit {:x}", c)));
                        // ISC stays inside the escape and moves on a slot.
                    }
                    None => {
                        // "\0" followed by a non-digit: ISC stores a NUL, drops
                        // the character and reads the next one as if it
                        // followed a backslash.
                        self.tokbuf[i] = 0;
                        escape = 1;
                        continue;
                    }
                }
            } else if c == b'\\' as i32 {
                escape = 1;
                continue;
            } else if c == b'"' as i32 {
                break;
            } else {
                self.tokbuf[i] = c as u8;
            }
            i += 1;
        }
        if i == TOKEN_BUFFER {
            self.warn(LexEvent::Warn("string constant larger than internal buffer".into()));
            i -= 1;
        }
        self.tokbuf[i] = 0;
        self.token_len = i;
        self.value_is_punct = false;
        Token::String
    }

    fn read_number(&mut self, first: i32) -> Token {
        #[derive(PartialEq, Clone, Copy)]
        enum Kind {
            Number,
            NumberOrName,
            Name,
        }
        let mut kind = Kind::Number;
        self.tokbuf[0] = first as u8;
        // The accepted characters are ordinary ones (never a newline or
        // 0xFF): scan them straight from the input, then read the one that
        // ends the token as ISC does.
        let rest = &self.input[self.pos..];
        let limit = rest.len().min(TOKEN_BUFFER - 1);
        let mut n = 0usize;
        while n < limit {
            let b = rest[n];
            let k = CLASS[b as usize];
            if k & NAME == 0 {
                break;
            }
            // Promote Number -> NumberOrName -> Name, never demote,
            // except that `0x` followed by a hex digit is a number again.
            kind = match kind {
                Kind::Number if k & DIGIT != 0 => Kind::Number,
                Kind::Number | Kind::NumberOrName if k & HEX != 0 => Kind::NumberOrName,
                _ if n == 1 && k & HEX != 0 && first == b'0' as i32 && (rest[0] | 0x20) == b'x' => {
                    Kind::NumberOrName
                }
                _ => Kind::Name,
            };
            self.tokbuf[n + 1] = b;
            n += 1;
        }
        // Stopped by a character (or the end of the input) rather than by
        // a full buffer.
        let finished = n < TOKEN_BUFFER - 1;
        let i = n + 1;
        self.finish_word(i, finished, "numeric token larger than internal buffer");
        match kind {
            Kind::Number => Token::Number,
            Kind::NumberOrName => Token::NumberOrName,
            Kind::Name => Token::Name,
        }
    }

    /// Ends a name or number of `len` characters in the token buffer, all
    /// but the first still ahead in the input: moves past them, then reads
    /// and pushes back the character that ended the token (when one did,
    /// rather than the buffer filling up).
    #[inline(always)]
    fn finish_word(&mut self, len: usize, finished: bool, too_long: &str) {
        self.pos += len - 1;
        let mut i = len;
        if finished {
            match self.input.get(self.pos) {
                // Reading an ordinary character and pushing it back leaves
                // only the push-back behind.
                Some(&b) if b != b'\n' && b != 0xff => self.pushed_back = true,
                _ => {
                    let c = self.get_char();
                    self.unget_char(c);
                }
            }
        } else {
            self.warn(LexEvent::Warn(too_long.into()));
            i -= 1;
        }
        self.tokbuf[i] = 0;
        self.token_len = i;
        self.value_is_punct = false;
    }

    fn read_num_or_name(&mut self, first: i32) -> Token {
        self.tokbuf[0] = first as u8;
        let rest = &self.input[self.pos..];
        let limit = rest.len().min(TOKEN_BUFFER - 1);
        // HEX stays set while every character after the first is a hex digit.
        let mut all_hex = HEX;
        let mut n = 0usize;
        while n < limit {
            let b = rest[n];
            let k = CLASS[b as usize];
            if k & NAME == 0 {
                break;
            }
            all_hex &= k;
            self.tokbuf[n + 1] = b;
            n += 1;
        }
        let token = if all_hex != 0 { Token::NumberOrName } else { Token::Name };
        let finished = n < TOKEN_BUFFER - 1;
        let i = n + 1;
        self.finish_word(i, finished, "token larger than internal buffer");
        match keywords::lookup(&self.tokbuf[..self.token_len]) {
            Some(k) => Token::Kw(k),
            None => token,
        }
    }

    fn next_inner(&mut self, raw: bool) -> Token {
        let mut token = match self.peeked.take() {
            Some(t) => {
                if self.token_start_line != self.saved_line {
                    self.token_line = self.lines.cur;
                }
                self.token_start_col = self.saved_col;
                self.token_start_line = self.saved_line;
                t
            }
            None => {
                let t = self.get_raw_token(if raw { Ws::Keep } else { Ws::SkipTrackingLine });
                self.token_line = self.lines.cur;
                t
            }
        };
        // Only a looked-ahead token can be whitespace here.
        if !raw && matches!(token, Token::Whitespace) {
            token = self.get_raw_token(Ws::SkipTrackingLine);
            self.token_line = self.lines.cur;
        }
        self.consumed_eof = token == Token::Eof;
        token
    }

    /// Whether the last token consumed (not just peeked) was the end of
    /// the input; the token's text is then still the previous token's.
    pub fn consumed_eof(&self) -> bool {
        self.consumed_eof
    }

    fn peek_inner(&mut self, raw: bool) -> Token {
        let need = match self.peeked {
            None => true,
            Some(t) => !raw && matches!(t, Token::Whitespace),
        };
        if need {
            self.saved_col = self.token_start_col;
            self.saved_line = self.token_start_line;
            let t = self.get_raw_token(if raw { Ws::Keep } else { Ws::Skip });
            if self.token_start_line != self.saved_line {
                self.token_line = self.lines.cur ^ 1;
            }
            std::mem::swap(&mut self.token_start_col, &mut self.saved_col);
            std::mem::swap(&mut self.token_start_line, &mut self.saved_line);
            // ISC stores the token in a field where 0 means "none", so a NUL
            // token is forgotten and the next look-ahead reads past it.
            self.peeked = if matches!(t, Token::Punct(0)) { None } else { Some(t) };
            return t;
        }
        self.peeked.unwrap_or(Token::Eof)
    }

    /// Consumes and returns the next non-whitespace token (ISC `next_token`).
    pub fn next_token(&mut self) -> Token {
        self.next_inner(false)
    }

    /// Consumes the next token, whitespace included (ISC `next_raw_token`).
    pub fn next_raw_token(&mut self) -> Token {
        self.next_inner(true)
    }

    /// Returns the next non-whitespace token without consuming it.
    pub fn peek_token(&mut self) -> Token {
        self.peek_inner(false)
    }

    /// Returns the next token, whitespace included, without consuming it.
    pub fn peek_raw_token(&mut self) -> Token {
        self.peek_inner(true)
    }

    /// The text of the last token read or peeked (escapes resolved for strings).
    pub fn value(&self) -> &[u8] {
        if self.value_is_punct {
            std::slice::from_ref(&self.punct_value)
        } else {
            &self.tokbuf[..self.token_len]
        }
    }

    /// The value as text, lossily converted (keywords and names are ASCII).
    pub fn value_str(&self) -> String {
        String::from_utf8_lossy(self.value()).into_owned()
    }

    /// The value as ISC's C code sees it: cut at the first NUL.
    pub fn value_cstr(&self) -> &[u8] {
        let v = self.value();
        match v.iter().position(|&b| b == 0) {
            Some(n) => &v[..n],
            None => v,
        }
    }

    /// The position an error raised now would point at.
    pub fn position(&self) -> Position {
        Position {
            line: self.token_start_line,
            col: self.token_start_col,
            text: self.line_text(self.token_line),
        }
    }

    /// The physical line the scanner has reached.
    pub fn current_line(&self) -> u32 {
        self.line
    }

    /// Byte offset of the next character the scanner will read, i.e. just
    /// past the last token read or peeked. Lets a caller keep the source
    /// text of a span verbatim (the lease file keeps `on` blocks as text).
    pub fn offset(&self) -> usize {
        self.pos - self.base
    }
}

#[cfg(test)]
mod tests;
