//! Option spaces (`option space NAME [code width N] [length width N] [hash
//! size N];`) and option definitions (`option NAME code N = TYPE;`).
//!
//! A definition's TYPE becomes an ISC format string (`array of { ip-address,
//! unsigned integer 8 }` is `IBA`), built and checked the way ISC's
//! `parse_option_code_definition` does, with its messages and its
//! recovery, which differs from case to case (some errors skip to the `;`,
//! some to the record's `}` and then the `;`, some skip nothing). The
//! resulting definition goes into the parser's option catalog.

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::parser::{PResult, Parser};
use super::common::atoi;
use super::option::OptionRef;
use crate::options::{CodeWidth, LengthWidth, SpaceDecl};

/// ISC builds the format in a 128-byte buffer and refuses to fill it.
const FORMAT_BUFFER: usize = 128;

impl Parser<'_> {
    /// `option space ...;` with the `space` token still pending (ISC
    /// `parse_option_space_decl`). A bad width or size is reported without
    /// skipping: the rest of the statement is read as new statements.
    pub(crate) fn parse_option_space_decl(&mut self) -> PResult<()> {
        self.skip_token()?;
        if !self.next_token()?.is_identifier() {
            self.parse_warn("expecting identifier.");
            self.skip_to_semi()?;
            return Ok(());
        }
        let mut decl = SpaceDecl::new(String::from_utf8_lossy(self.lex.value_cstr()).into_owned());
        loop {
            match self.next_token()? {
                Token::Punct(b';') => break,
                Token::Kw(K::Code) => {
                    if self.next_token()? != Token::Kw(K::Width) {
                        self.parse_warn("expecting width token.");
                        return Ok(());
                    }
                    if self.next_token()? != Token::Number {
                        self.parse_warn("expecting number 1, 2, 4.");
                        return Ok(());
                    }
                    match CodeWidth::from_decl(atoi(self.lex.value_cstr()) as i32) {
                        Ok(w) => decl.code_width = w,
                        Err(e) => {
                            self.parse_warn(e.to_string());
                            return Ok(());
                        }
                    }
                }
                Token::Kw(K::Length) => {
                    if self.next_token()? != Token::Kw(K::Width) {
                        self.parse_warn("expecting width token.");
                        return Ok(());
                    }
                    if self.next_token()? != Token::Number {
                        self.parse_warn("expecting number 1 or 2.");
                        return Ok(());
                    }
                    match LengthWidth::from_decl(atoi(self.lex.value_cstr()) as i32) {
                        Ok(w) => decl.length_width = w,
                        Err(e) => {
                            self.parse_warn(e.to_string());
                            return Ok(());
                        }
                    }
                }
                Token::Kw(K::Hash) => {
                    if self.next_token()? != Token::Kw(K::Size) {
                        self.parse_warn("expecting size token.");
                        return Ok(());
                    }
                    if self.next_token()? != Token::Number {
                        self.parse_warn("expecting a 10base number");
                        return Ok(());
                    }
                    // Only the table size: nothing we model.
                    let n = atoi(self.lex.value_cstr()) as i32;
                    if n < 0 {
                        self.parse_warn(format!("invalid hash length: {}", n));
                        return Ok(());
                    }
                }
                Token::Eof => {
                    // ISC repeats this forever at the end of the file; one
                    // report is enough.
                    self.parse_warn("Unexpected token.");
                    return Ok(());
                }
                _ => self.parse_warn("Unexpected token."),
            }
        }
        self.opt_define_space(decl);
        Ok(())
    }

    /// `N = TYPE;` after `option NAME code` (ISC
    /// `parse_option_code_definition`). Returns whether the definition was
    /// entered.
    pub(crate) fn parse_option_code_definition(&mut self, mut option: OptionRef) -> PResult<bool> {
        if self.next_token()? != Token::Number {
            self.parse_warn("expecting option code number.");
            self.skip_to_semi()?;
            return Ok(false);
        }
        option.code = atoi(self.lex.value_cstr()) as u32;
        if !self.next_token()?.is(b'=') {
            self.parse_warn("expecting \"=\"");
            self.skip_to_semi()?;
            return Ok(false);
        }
        // `array`: 0 none; 1 the whole type repeats; 2 (inside a record)
        // the element being read repeats. `record`: 1 inside `{ }`.
        let mut array = 0u32;
        let mut record = 0u32;
        let mut no_more_in_record = false;
        let mut has_encapsulation = false;
        let mut fmt: Vec<u8> = Vec::new();
        let mut t = self.next_token()?;
        if t == Token::Kw(K::Array) {
            if self.next_token()? != Token::Kw(K::Of) {
                self.parse_warn("expecting \"of\".");
                self.skip_to_semi()?;
                return Ok(false);
            }
            array = 1;
            t = self.next_token()?;
        }
        if t.is(b'{') {
            record = 1;
            t = self.next_token()?;
        }
        loop {
            if has_encapsulation {
                self.parse_warn("encapsulate must always be the last item.");
                self.skip_to_semi()?;
                return Ok(false);
            }
            let ty: u8 = match t {
                Token::Kw(K::Array) => {
                    if array != 0 {
                        self.parse_warn("no nested arrays.");
                        return self.bad_definition(record);
                    }
                    if self.next_token()? != Token::Kw(K::Of) {
                        self.parse_warn("expecting \"of\".");
                        self.skip_to_semi()?;
                        return Ok(false);
                    }
                    array = record + 1;
                    t = self.next_token()?;
                    if record != 0 && t.is(b'{') {
                        self.parse_warn("only uniform array inside record.");
                        self.skip_to_rbrace(record + 1)?;
                        self.skip_to_semi()?;
                        return Ok(false);
                    }
                    continue;
                }
                Token::Kw(K::Boolean) => b'f',
                Token::Kw(kw @ (K::Integer | K::Signed | K::Unsigned)) => {
                    if kw != K::Integer && self.next_token()? != Token::Kw(K::Integer) {
                        self.parse_warn("expecting \"integer\" keyword.");
                        return self.bad_definition(record);
                    }
                    if self.next_token()? != Token::Number {
                        self.parse_warn("expecting number.");
                        return self.bad_definition(record);
                    }
                    let signed = kw != K::Unsigned;
                    match atoi(self.lex.value_cstr()) {
                        8 if signed => b'b',
                        8 => b'B',
                        16 if signed => b's',
                        16 => b'S',
                        32 if signed => b'l',
                        32 => b'L',
                        _ => {
                            let v = self.val();
                            self.parse_warn(format!("{} bit precision is not supported.", v));
                            return self.bad_definition(record);
                        }
                    }
                }
                Token::Kw(K::IpAddress) => b'I',
                Token::Kw(K::Ip6Address) => b'6',
                Token::Kw(kw @ (K::DomainName | K::DomainList | K::Text | K::StringToken)) => {
                    let ty = match kw {
                        K::DomainName => b'd',
                        K::Text => b't',
                        K::StringToken => b'X',
                        _ if self.peek_token()? == Token::Kw(K::Compressed) => {
                            self.skip_token()?;
                            fmt.push(b'D');
                            b'c'
                        }
                        _ => b'D',
                    };
                    if array != 0 {
                        self.parse_warn("arrays of text strings not yet supported.");
                        return self.bad_definition(record);
                    }
                    no_more_in_record = true;
                    ty
                }
                Token::Kw(K::Encapsulate) => {
                    if !self.next_token()?.is_identifier() {
                        self.parse_warn("expecting option space identifier");
                        self.skip_to_semi()?;
                        return Ok(false);
                    }
                    let space = self.lex.value_cstr().to_vec();
                    if !self.opt_space_exists(&String::from_utf8_lossy(&space)) {
                        self.parse_warn(format!("unknown option space {}", String::from_utf8_lossy(&space)));
                        self.skip_to_semi()?;
                        return Ok(false);
                    }
                    if space.len() + fmt.len() + 2 > FORMAT_BUFFER {
                        return self.too_many_types(record);
                    }
                    fmt.push(b'E');
                    fmt.extend_from_slice(&space);
                    has_encapsulation = true;
                    b'.'
                }
                Token::Kw(K::Zerolen) => {
                    if array != 0 {
                        self.parse_warn("array incompatible with zerolen.");
                        return self.bad_definition(record);
                    }
                    no_more_in_record = true;
                    b'Z'
                }
                _ => {
                    let v = String::from_utf8_lossy(self.lex.value_cstr()).into_owned();
                    self.parse_warn(format!("unknown data type {}", v));
                    return self.bad_definition(record);
                }
            };
            if fmt.len() == FORMAT_BUFFER {
                return self.too_many_types(record);
            }
            fmt.push(ty);
            if record != 0 {
                t = self.next_token()?;
                if array > record {
                    if fmt.len() == FORMAT_BUFFER {
                        self.parse_warn("too many types in record.");
                        self.skip_to_rbrace(1)?;
                        self.skip_to_semi()?;
                        return Ok(false);
                    }
                    array = 0;
                    fmt.push(b'a');
                }
                if t.is(b',') {
                    if no_more_in_record {
                        let what = if ty == b't' { "text" } else { "string" };
                        self.parse_warn(format!("{} must be at end of record.", what));
                        self.skip_to_rbrace(1)?;
                        self.skip_to_semi()?;
                        return Ok(false);
                    }
                    t = self.next_token()?;
                    continue;
                }
                if !t.is(b'}') {
                    self.parse_warn("expecting right brace.");
                    self.skip_to_rbrace(1)?;
                    self.skip_to_semi()?;
                    return Ok(false);
                }
            }
            break;
        }
        if !self.parse_semi()? {
            // parse_semi has reported and skipped; ISC says it again.
            self.parse_warn("semicolon expected.");
            self.skip_to_semi()?;
            if record != 0 {
                self.skip_to_semi()?;
            }
            return Ok(false);
        }
        if has_encapsulation && array != 0 {
            self.parse_warn("Arrays of encapsulations don't make sense.");
            return Ok(false);
        }
        if array != 0 {
            fmt.push(if array > record { b'a' } else { b'A' });
        }
        option.format = String::from_utf8_lossy(&fmt).into_owned();
        self.opt_define(&option)?;
        Ok(true)
    }

    /// ISC's recovery after most type errors: to the record's `}`, then
    /// (inside a record) to the `;`.
    fn bad_definition(&mut self, record: u32) -> PResult<bool> {
        self.skip_to_rbrace(record)?;
        if record != 0 {
            self.skip_to_semi()?;
        }
        Ok(false)
    }

    fn too_many_types(&mut self, record: u32) -> PResult<bool> {
        self.parse_warn("too many types in record.");
        self.bad_definition(record)
    }
}
