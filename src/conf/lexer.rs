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
    /// The next character was pushed back; reading it again must not be
    /// counted or copied into the line buffer a second time.
    pushed_back: bool,
    /// When set, a newline is a token of its own (line-oriented files).
    eol_token: bool,
    line: u32,
    col: u32,
    lines: [[u8; LINE_BUFFER + 1]; 2],
    cur_line: usize,
    prev_line: usize,
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

/// A saved scan position; see [`Lexer::snapshot`].
#[derive(Clone)]
pub struct LexerSnapshot {
    pos: usize,
    pushed_back: bool,
    line: u32,
    col: u32,
    lines: [[u8; LINE_BUFFER + 1]; 2],
    cur_line: usize,
    prev_line: usize,
    token_line: usize,
    peeked: Option<Token>,
    saved_line: u32,
    saved_col: u32,
    token_start_line: u32,
    token_start_col: u32,
    token: Vec<u8>,
    punct_value: u8,
    value_is_punct: bool,
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

fn is_space(c: i32) -> bool {
    matches!(c, 0x20 | 0x09 | 0x0a | 0x0b | 0x0c | 0x0d)
}
fn is_digit(c: i32) -> bool {
    (b'0' as i32..=b'9' as i32).contains(&c)
}
fn is_alpha(c: i32) -> bool {
    (b'a' as i32..=b'z' as i32).contains(&c) || (b'A' as i32..=b'Z' as i32).contains(&c)
}
fn is_alnum(c: i32) -> bool {
    is_digit(c) || is_alpha(c)
}
fn is_xdigit(c: i32) -> bool {
    is_digit(c) || (b'a' as i32..=b'f' as i32).contains(&c) || (b'A' as i32..=b'F' as i32).contains(&c)
}

impl Lexer {
    /// Starts scanning `input` at line 1.
    pub fn new(input: Rc<[u8]>) -> Self {
        Lexer {
            input,
            pos: 0,
            pushed_back: false,
            eol_token: false,
            line: 1,
            col: 1,
            lines: [[0; LINE_BUFFER + 1]; 2],
            cur_line: 0,
            prev_line: 1,
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
            col: self.col,
            lines: self.lines,
            cur_line: self.cur_line,
            prev_line: self.prev_line,
            token_line: self.token_line,
            peeked: self.peeked,
            saved_line: self.saved_line,
            saved_col: self.saved_col,
            token_start_line: self.token_start_line,
            token_start_col: self.token_start_col,
            token: self.tokbuf[..self.token_len].to_vec(),
            punct_value: self.punct_value,
            value_is_punct: self.value_is_punct,
        }
    }

    /// Returns to a saved position (ISC `restore_parse_state`).
    pub fn restore(&mut self, s: LexerSnapshot) {
        self.pos = s.pos;
        self.pushed_back = s.pushed_back;
        self.line = s.line;
        self.col = s.col;
        self.lines = s.lines;
        self.cur_line = s.cur_line;
        self.prev_line = s.prev_line;
        self.token_line = s.token_line;
        self.peeked = s.peeked;
        self.saved_line = s.saved_line;
        self.saved_col = s.saved_col;
        self.token_start_line = s.token_start_line;
        self.token_start_col = s.token_start_col;
        self.token_len = s.token.len();
        self.tokbuf[..s.token.len()].copy_from_slice(&s.token);
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
        let mut lex = Lexer::new(input);
        lex.line = line;
        let n = prev_line.len().min(LINE_BUFFER);
        lex.lines[lex.prev_line][..n].copy_from_slice(&prev_line[..n]);
        lex.lines[lex.prev_line][n] = 0;
        lex.token_start_line = token_line;
        // A 0xff byte reads as EOF but is consumed like any other.
        while lex.pos < skip.min(lex.input.len()) {
            lex.get_char();
        }
        if reread && lex.pos > 0 {
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

    fn get_char(&mut self) -> i32 {
        let c = match self.input.get(self.pos) {
            None => EOF,
            Some(&b) => {
                self.pos += 1;
                if b == 0xff {
                    EOF
                } else {
                    b as i32
                }
            }
        };
        if self.pushed_back {
            self.pushed_back = false;
        } else if c == b'\n' as i32 {
            std::mem::swap(&mut self.cur_line, &mut self.prev_line);
            self.line += 1;
            self.col = 1;
            self.lines[self.cur_line][0] = 0;
        } else if c != EOF {
            let col = self.col as usize;
            if col <= LINE_BUFFER {
                self.lines[self.cur_line][col - 1] = c as u8;
                self.lines[self.cur_line][col] = 0;
            }
            self.col = self.col.saturating_add(1);
        }
        c
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
            .map(|(line, col, buf, ev)| {
                (Position { line, col, text: c_string(&self.lines[buf]) }, ev)
            })
            .collect()
    }

    /// True when the scanner has raised messages not yet taken.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    fn get_raw_token(&mut self) -> Token {
        loop {
            let (l, p) = (self.line, self.col);
            let c = self.get_char();
            if !(c == b'\n' as i32 && self.eol_token) && is_space(c) {
                return self.read_whitespace(c);
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
        loop {
            let c = self.get_char();
            if c == EOF || c == b'\n' as i32 {
                return;
            }
        }
    }

    fn read_whitespace(&mut self, first: i32) -> Token {
        let mut c = first;
        let mut n = 0usize;
        loop {
            if n >= TOKEN_BUFFER - 1 {
                self.warn(LexEvent::FatalWhitespace);
                // ISC exits here; the parser stops at the fatal event, and
                // end-of-file guarantees it does.
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
        let mut i = 1usize;
        let mut finished = false;
        while i < TOKEN_BUFFER {
            let c = self.get_char();
            let ascii = (0..128).contains(&c);
            let mut accept = false;
            if ascii {
                // Promote Number -> NumberOrName -> Name, never demote,
                // except that `0x` followed by a hex digit is a number again.
                if kind == Kind::Number && is_digit(c) {
                    accept = true;
                } else if matches!(kind, Kind::Number | Kind::NumberOrName) && is_xdigit(c) {
                    kind = Kind::NumberOrName;
                    accept = true;
                } else if i == 2
                    && is_xdigit(c)
                    && self.tokbuf[0] == b'0'
                    && (self.tokbuf[1] == b'x' || self.tokbuf[1] == b'X')
                {
                    kind = Kind::NumberOrName;
                    accept = true;
                } else if c == b'-' as i32 || c == b'_' as i32 || is_alnum(c) {
                    kind = Kind::Name;
                    accept = true;
                }
            }
            if !accept {
                self.unget_char(c);
                finished = true;
                break;
            }
            self.tokbuf[i] = c as u8;
            i += 1;
        }
        if !finished && i == TOKEN_BUFFER {
            self.warn(LexEvent::Warn("numeric token larger than internal buffer".into()));
            i -= 1;
        }
        self.tokbuf[i] = 0;
        self.token_len = i;
        self.value_is_punct = false;
        match kind {
            Kind::Number => Token::Number,
            Kind::NumberOrName => Token::NumberOrName,
            Kind::Name => Token::Name,
        }
    }

    fn read_num_or_name(&mut self, first: i32) -> Token {
        let mut token = Token::NumberOrName;
        self.tokbuf[0] = first as u8;
        let mut i = 1usize;
        let mut finished = false;
        while i < TOKEN_BUFFER {
            let c = self.get_char();
            if !(0..128).contains(&c) || (c != b'-' as i32 && c != b'_' as i32 && !is_alnum(c)) {
                self.unget_char(c);
                finished = true;
                break;
            }
            if !is_xdigit(c) {
                token = Token::Name;
            }
            self.tokbuf[i] = c as u8;
            i += 1;
        }
        if !finished && i == TOKEN_BUFFER {
            self.warn(LexEvent::Warn("token larger than internal buffer".into()));
            i -= 1;
        }
        self.tokbuf[i] = 0;
        self.token_len = i;
        self.value_is_punct = false;
        match keywords::lookup(&self.tokbuf[..i]) {
            Some(k) => Token::Kw(k),
            None => token,
        }
    }

    fn next_inner(&mut self, raw: bool) -> Token {
        let mut token = match self.peeked.take() {
            Some(t) => {
                if self.token_start_line != self.saved_line {
                    self.token_line = self.cur_line;
                }
                self.token_start_col = self.saved_col;
                self.token_start_line = self.saved_line;
                t
            }
            None => {
                let t = self.get_raw_token();
                self.token_line = self.cur_line;
                t
            }
        };
        if !raw {
            while token == Token::Whitespace {
                token = self.get_raw_token();
                self.token_line = self.cur_line;
            }
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
            Some(t) => !raw && t == Token::Whitespace,
        };
        if need {
            self.saved_col = self.token_start_col;
            self.saved_line = self.token_start_line;
            let mut t;
            loop {
                t = self.get_raw_token();
                if raw || t != Token::Whitespace {
                    break;
                }
            }
            if self.token_start_line != self.saved_line {
                self.token_line = self.prev_line;
            }
            std::mem::swap(&mut self.token_start_col, &mut self.saved_col);
            std::mem::swap(&mut self.token_start_line, &mut self.saved_line);
            // ISC stores the token in a field where 0 means "none", so a NUL
            // token is forgotten and the next look-ahead reads past it.
            self.peeked = if t == Token::Punct(0) { None } else { Some(t) };
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
            text: c_string(&self.lines[self.token_line]),
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
        self.pos
    }
}

fn c_string(buf: &[u8]) -> Vec<u8> {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf[..end].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<(Token, String)> {
        let mut lx = Lexer::new(src.as_bytes().into());
        let mut out = Vec::new();
        loop {
            let t = lx.next_token();
            if t == Token::Eof {
                return out;
            }
            out.push((t, lx.value_str()));
        }
    }

    #[test]
    fn classifies_like_isc() {
        let t = tokens("subnet 10.0.0.0 netmask ab g gh 0x1f 12ab 1-2 - \"a\\tb\" ; # c\n}");
        let kinds: Vec<Token> = t.iter().map(|x| x.0).collect();
        assert_eq!(
            kinds,
            vec![
                Token::Kw(Keyword::Subnet),
                Token::Number,
                Token::Punct(b'.'),
                Token::Number,
                Token::Punct(b'.'),
                Token::Number,
                Token::Punct(b'.'),
                Token::Number,
                Token::Kw(Keyword::Netmask),
                Token::NumberOrName,
                Token::NumberOrName,
                Token::Name,
                Token::NumberOrName,
                Token::NumberOrName,
                Token::Name,
                Token::Number,
                Token::String,
                Token::Punct(b';'),
                Token::Punct(b'}'),
            ]
        );
        assert_eq!(t[16].1, "a\tb");
    }

    #[test]
    fn hex_mac_splits_on_colons() {
        let t = tokens("00:1a:2B");
        assert_eq!(t.len(), 5);
        assert_eq!(t[0], (Token::Number, "00".into()));
        assert_eq!(t[2], (Token::NumberOrName, "1a".into()));
        assert_eq!(t[4], (Token::NumberOrName, "2B".into()));
    }

    #[test]
    fn caret_column_counts_read_ahead_once() {
        // ISC's column is one more than the 1-based column for a token whose
        // first character was read ahead by the previous token.
        let mut lx = Lexer::new(Rc::from(&b"  load balance max secs 3;\n"[..]));
        for _ in 0..3 {
            lx.next_token();
        }
        assert_eq!(lx.next_token(), Token::Name);
        let p = lx.position();
        assert_eq!(p.line, 1);
        assert_eq!(p.col, 21);
        assert_eq!(p.text, b"  load balance max secs ".to_vec());
    }

    #[test]
    fn peek_keeps_previous_position() {
        let mut lx = Lexer::new(Rc::from(&b"a\nb"[..]));
        lx.next_token();
        assert_eq!(lx.peek_token(), Token::NumberOrName);
        let p = lx.position();
        assert_eq!(p.line, 1);
        assert_eq!(p.text, b"a".to_vec());
        lx.next_token();
        assert_eq!(lx.position().line, 2);
    }

    #[test]
    fn unterminated_string_warns_and_ends() {
        let mut lx = Lexer::new(Rc::from(&b"\"abc"[..]));
        assert_eq!(lx.next_token(), Token::String);
        assert_eq!(lx.value(), b"abc");
        assert!(lx.has_events());
        assert_eq!(lx.next_token(), Token::Eof);
    }

    #[test]
    fn byte_ff_reads_as_eof_and_long_tokens_are_cut() {
        let mut lx = Lexer::new(Rc::from(&b"a\xffb \xffc"[..]));
        // The 0xFF ends `a` and is swallowed; the one after whitespace is EOF.
        assert_eq!(lx.next_token(), Token::NumberOrName);
        assert_eq!(lx.next_token(), Token::NumberOrName);
        assert_eq!(lx.value(), b"b");
        assert_eq!(lx.next_token(), Token::Eof);
        let long = vec![b'z'; 4000];
        let mut lx = Lexer::new(long.into());
        assert_eq!(lx.next_token(), Token::Name);
        assert_eq!(lx.value().len(), TOKEN_BUFFER - 1);
        assert!(lx.has_events());
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut seed = 0x2545f4914f6cdd1du64;
        for round in 0..300 {
            let len = (round * 7) % 400;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 24) as u8
                })
                .collect();
            let mut lx = Lexer::new(bytes.clone().into());
            for _ in 0..2000 {
                let _ = lx.peek_token();
                if lx.next_token() == Token::Eof && lx.pos >= bytes.len() {
                    break;
                }
                let _ = lx.position();
            }
        }
    }
}
