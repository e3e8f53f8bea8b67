//! Option settings (`option NAME VALUE;`, `server-identifier A;`), option
//! spaces (`option space NAME ...;`) and option definitions
//! (`option NAME code N = TYPE;`).
//!
//! Values are checked against the option's ISC format string, walked one
//! letter at a time the way ISC's `parse_option_data`/`parse_option_token`
//! do, so that a value ISC rejects is rejected here with the same message at
//! the same token. Constant values are stored already encoded as they go on
//! the wire; host names in address options are kept for lookup at run time.

use super::super::ast::Statement;
use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{GroupId, ScopeKind};
use super::super::parser::{PResult, Parser};
use super::common::AddrOrName;
use crate::wire::dnsname::{compress_names, name_to_wire};

/// Which option a statement sets: its space, code, name and ISC format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionRef {
    /// Option space (`dhcp`, `agent`, `server`, or a user space).
    pub space: String,
    /// Code inside the space.
    pub code: u32,
    /// Name as defined.
    pub name: String,
    /// ISC format string of the value.
    pub format: String,
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
    /// the name stands inside a non-uniform record).
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
    /// No value (`option foo;` for a zero-length or omitted value).
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
    /// After the `option` keyword in a scope (ISC `parse_statement` OPTION).
    pub(crate) fn parse_option_keyword_statement(&mut self, group: GroupId, kind: ScopeKind) -> PResult<()> {
        if self.peek_token()? == Token::Kw(K::Space) {
            if kind != ScopeKind::Root {
                self.parse_warn("option space definitions may not be scoped.");
                self.skip_to_semi()?;
                return Ok(());
            }
            return self.parse_option_space_decl();
        }
        let Some((option, known)) = self.parse_option_name(true)? else {
            return Ok(());
        };
        if self.peek_token()? == Token::Kw(K::Code) {
            if kind != ScopeKind::Root {
                self.parse_warn("option definitions may not be scoped.");
                self.skip_to_semi()?;
                return Ok(());
            }
            self.skip_token()?;
            if known {
                self.opt_remove(&option.space, &option.name, option.code);
            }
            self.parse_option_code_definition(option)?;
            return Ok(());
        }
        if !known {
            self.parse_warn(format!("unknown option {}.{}", option.space, option.name));
            self.skip_to_semi()?;
            return Ok(());
        }
        if let Some(st) = self.parse_option_statement(option, true, OptionOp::Supersede)? {
            self.config.groups[group].statements.push(st);
        }
        Ok(())
    }

    /// After `server-identifier` (same as `option dhcp-server-identifier`).
    pub(crate) fn parse_server_identifier_statement(&mut self, group: GroupId) -> PResult<()> {
        let Some(option) = self.opt_lookup_code("dhcp", 54) else {
            return Err(super::super::parser::Fatal("Server identifier not in hash".into()));
        };
        if let Some(st) = self.parse_option_statement(option, true, OptionOp::Supersede)? {
            self.config.groups[group].statements.push(st);
        }
        Ok(())
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
        let first = self.val();
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
            let name = self.val();
            if !self.opt_space_exists(&first) {
                self.parse_warn(format!("no option space named {}.", first));
                self.skip_to_semi()?;
                return Ok(None);
            }
            (self.opt_space_canonical(&first), name)
        } else {
            ("dhcp".to_string(), first)
        };
        if let Some(found) = self.opt_lookup_name(&space, &name) {
            return Ok(Some((found, true)));
        }
        if name.len() >= 8 && name[..8].eq_ignore_ascii_case("unknown-") {
            let code = super::common::atoi(name[8..].as_bytes()) as u32;
            let end = self.opt_space_end(&space);
            if code == 0 || code == end {
                self.parse_warn(format!("Option codes 0 and {} are illegal in the {} space.", end, space));
                self.skip_to_semi()?;
                return Ok(None);
            }
            if let Some(found) = self.opt_lookup_code(&space, code) {
                self.log_info(format!(
                    "option {} has been redefined as option {}.  Please update your configs if necessary.",
                    name, found.name
                ));
                return Ok(Some((found, true)));
            }
            return Ok(Some((OptionRef { space, code, name, format: "X".into() }, true)));
        }
        if allocate {
            return Ok(Some((OptionRef { space, code: 0, name, format: String::new() }, false)));
        }
        self.parse_warn(format!("no option named {} in space {}", name, space));
        self.skip_to_semi()?;
        Ok(None)
    }

    /// `option space NAME [code width N] [length width N] [hash size N];`
    /// (ISC `parse_option_space_decl`); the `space` token is still pending.
    pub(crate) fn parse_option_space_decl(&mut self) -> PResult<()> {
        self.skip_token()?;
        let t = self.next_token()?;
        if !t.is_identifier() {
            self.parse_warn("expecting identifier.");
            self.skip_to_semi()?;
            return Ok(());
        }
        let name = self.val();
        let mut code_width = 1u32;
        let mut length_width = 1u32;
        loop {
            let t = self.next_token()?;
            match t {
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
                    let n = super::common::atoi(self.lex.value_cstr());
                    if !matches!(n, 1 | 2 | 4) {
                        self.parse_warn(format!("invalid code width ({}), expecting a 1, 2 or 4.", n as i32));
                        return Ok(());
                    }
                    code_width = n as u32;
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
                    let n = super::common::atoi(self.lex.value_cstr());
                    if n != 1 && n != 2 {
                        self.parse_warn(format!("invalid length width ({}) expecting 1 or 2.", n as i32));
                        return Ok(());
                    }
                    length_width = n as u32;
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
                    let n = super::common::atoi(self.lex.value_cstr()) as i32;
                    if n < 0 {
                        self.parse_warn(format!("invalid hash length: {}", n));
                        return Ok(());
                    }
                }
                Token::Eof => {
                    // ISC loops on "Unexpected token." at end of file
                    // forever; one report is enough.
                    self.parse_warn("Unexpected token.");
                    return Ok(());
                }
                _ => self.parse_warn("Unexpected token."),
            }
        }
        self.opt_define_space(&name, code_width, length_width);
        Ok(())
    }

    /// `N = TYPE;` after `option NAME code` (ISC
    /// `parse_option_code_definition`): builds the ISC format string.
    pub(crate) fn parse_option_code_definition(&mut self, mut option: OptionRef) -> PResult<bool> {
        if self.next_token()? != Token::Number {
            self.parse_warn("expecting option code number.");
            self.skip_to_semi()?;
            return Ok(false);
        }
        option.code = super::common::atoi(self.lex.value_cstr()) as u32;
        if !self.next_token()?.is(b'=') {
            self.parse_warn("expecting \"=\"");
            self.skip_to_semi()?;
            return Ok(false);
        }
        // `array` nesting: 0 none; 1 array of the whole (record); 2 array
        // of the last element inside a record.
        let mut array = 0u32;
        let mut record = 0u32;
        let mut no_more_in_record = false;
        let mut has_encapsulation = false;
        let mut fmt = String::new();
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
            let mut ty = match t {
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
                Token::Kw(K::Boolean) => 'f',
                Token::Kw(K::Integer) | Token::Kw(K::Signed) | Token::Kw(K::Unsigned) => {
                    let signed = t != Token::Kw(K::Unsigned);
                    if t != Token::Kw(K::Integer) && self.next_token()? != Token::Kw(K::Integer) {
                        self.parse_warn("expecting \"integer\" keyword.");
                        return self.bad_definition(record);
                    }
                    if self.next_token()? != Token::Number {
                        self.parse_warn("expecting number.");
                        return self.bad_definition(record);
                    }
                    match super::common::atoi(self.lex.value_cstr()) {
                        8 => if signed { 'b' } else { 'B' },
                        16 => if signed { 's' } else { 'S' },
                        32 => if signed { 'l' } else { 'L' },
                        _ => {
                            let v = self.val();
                            self.parse_warn(format!("{} bit precision is not supported.", v));
                            return self.bad_definition(record);
                        }
                    }
                }
                Token::Kw(K::IpAddress) => 'I',
                Token::Kw(K::Ip6Address) => '6',
                Token::Kw(K::DomainName) => 'd',
                Token::Kw(K::DomainList) => {
                    if self.peek_token()? == Token::Kw(K::Compressed) {
                        self.skip_token()?;
                        fmt.push('D');
                        'c'
                    } else {
                        'D'
                    }
                }
                Token::Kw(K::Text) => 't',
                Token::Kw(K::StringToken) => 'X',
                Token::Kw(K::Encapsulate) => {
                    let t2 = self.next_token()?;
                    if !t2.is_identifier() {
                        self.parse_warn("expecting option space identifier");
                        self.skip_to_semi()?;
                        return Ok(false);
                    }
                    let space = self.val();
                    if !self.opt_space_exists(&space) {
                        self.parse_warn(format!("unknown option space {}", space));
                        self.skip_to_semi()?;
                        return Ok(false);
                    }
                    fmt.push('E');
                    fmt.push_str(&space);
                    has_encapsulation = true;
                    '.'
                }
                Token::Kw(K::Zerolen) => {
                    if array != 0 {
                        self.parse_warn("array incompatible with zerolen.");
                        return self.bad_definition(record);
                    }
                    no_more_in_record = true;
                    'Z'
                }
                _ => {
                    let v = self.val();
                    self.parse_warn(format!("unknown data type {}", v));
                    return self.bad_definition(record);
                }
            };
            if matches!(ty, 'd' | 'D' | 'c' | 't' | 'X') {
                if array != 0 {
                    self.parse_warn("arrays of text strings not yet supported.");
                    return self.bad_definition(record);
                }
                no_more_in_record = true;
            }
            if fmt.len() >= 127 {
                self.parse_warn("too many types in record.");
                return self.bad_definition(record);
            }
            if ty == 'c' {
                // ISC writes `Dc`: the `D` above plus the compression flag.
                ty = 'c';
            }
            fmt.push(ty);
            if record != 0 {
                t = self.next_token()?;
                if array > record {
                    fmt.push('a');
                    array = 0;
                }
                if t.is(b',') {
                    if no_more_in_record {
                        let what = if ty == 't' { "text" } else { "string" };
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
            fmt.push(if array > record { 'a' } else { 'A' });
        }
        option.format = fmt;
        self.opt_define(option);
        Ok(true)
    }

    fn bad_definition(&mut self, record: u32) -> PResult<bool> {
        self.skip_to_rbrace(record)?;
        if record != 0 {
            self.skip_to_semi()?;
        }
        Ok(false)
    }

    /// The value after an option name, up to and including `;` (ISC
    /// `parse_option_statement`). `lookups` allows host names for addresses.
    pub(crate) fn parse_option_statement(
        &mut self,
        option: OptionRef,
        lookups: bool,
        op: OptionOp,
    ) -> PResult<Option<Statement>> {
        let t = self.peek_token()?;
        let value = if t.is(b';') && !option.format.starts_with('Z') {
            self.skip_token()?;
            OptionValue::Empty
        } else if t.is(b'=') {
            self.skip_token()?;
            match self.parse_data_expression()? {
                (Some(e), _) => OptionValue::Expression(Box::new(e)),
                (None, lose) => {
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

    /// Parses a value in the option's own syntax by walking its format
    /// string (ISC `parse_option_data`).
    pub(crate) fn parse_option_data(&mut self, option: &OptionRef, lookups: bool) -> PResult<Option<Vec<ValuePart>>> {
        let f: Vec<u8> = option.format.bytes().collect();
        let at = |i: usize| f.get(i).copied().unwrap_or(0);
        let mut parts: Vec<ValuePart> = Vec::new();
        let mut pos: Option<usize> = None;
        loop {
            // Start of one element: the whole format for 'A', one back for 'a'.
            let mut uniform = false;
            loop {
                let i = match pos {
                    Some(p) if p != 0 && at(p) == b'a' => p - 1,
                    Some(p) if at(p) != b'A' => p,
                    _ => 0,
                };
                pos = Some(i);
                if at(i) != b'Z' && at(i + 1).to_ascii_lowercase() == b'a' {
                    uniform = true;
                }
                let mut i = i;
                while at(i) != 0 {
                    if at(i) == b'A' || at(i) == b'a' {
                        break;
                    }
                    if at(i) == b'o' {
                        i += 1;
                        continue;
                    }
                    if at(i + 1) == b'o' && self.peek_token()?.is(b';') {
                        i += 1;
                        continue;
                    }
                    let (ok, next) = self.parse_option_token(&f, i, uniform, lookups, &mut parts)?;
                    if !ok && at(next + 1) != b'o' {
                        return Ok(None);
                    }
                    i = next + 1;
                }
                pos = Some(i);
                if at(i) == b'A' || at(i) == b'a' {
                    if self.peek_token()?.is(b',') {
                        self.skip_token()?;
                        break; // next element, same position
                    }
                    if at(i) == b'A' || at(i + 1) == 0 {
                        return Ok(Some(parts));
                    }
                    // 'a' not at the end: carry on with the rest of the format.
                    pos = Some(i + 1);
                    uniform = false;
                    let _ = uniform;
                    continue;
                }
                return Ok(Some(parts));
            }
        }
    }

    /// Parses one format letter's value (ISC `parse_option_token`). Returns
    /// whether a value was parsed and the index of the last format letter
    /// consumed (encapsulations and enumerations span several).
    fn parse_option_token(
        &mut self,
        f: &[u8],
        i: usize,
        uniform: bool,
        lookups: bool,
        parts: &mut Vec<ValuePart>,
    ) -> PResult<(bool, usize)> {
        let at = |j: usize| f.get(j).copied().unwrap_or(0);
        let optional = |j: usize| at(j + 1) == b'o';
        let mut i = i;
        match at(i) {
            b'U' => {
                let t = self.next_token()?;
                if !t.is_identifier() {
                    if !optional(i) {
                        self.parse_warn("expecting identifier.");
                        if !t.is(b';') {
                            self.skip_to_semi()?;
                        }
                    }
                    return Ok((false, i));
                }
                parts.push(ValuePart::Bytes(self.val_bytes()));
            }
            b'E' | b'X' => {
                if at(i) == b'E' {
                    match f[i..].iter().position(|&c| c == b'.') {
                        Some(d) => i += d,
                        None => {
                            self.parse_warn("malformed encapsulation format (bug!)");
                            self.skip_to_semi()?;
                            return Ok((false, i));
                        }
                    }
                }
                let t = self.peek_token()?;
                if t == Token::NumberOrName || t == Token::Number {
                    match self.parse_cshl()? {
                        Some(b) => parts.push(ValuePart::Bytes(b)),
                        None => return Ok((false, i)),
                    }
                } else if self.next_token()? == Token::String {
                    parts.push(ValuePart::Bytes(self.val_bytes()));
                } else {
                    if !optional(i) {
                        self.parse_warn("expecting string or hexadecimal data.");
                        self.skip_to_semi()?;
                    }
                    return Ok((false, i));
                }
            }
            b'D' => {
                let compress = at(i + 1) == b'c';
                if compress {
                    i += 1;
                }
                match self.parse_domain_list(compress)? {
                    Some(b) => parts.push(ValuePart::Bytes(b)),
                    None => {
                        if !optional(i) {
                            self.skip_to_semi()?;
                        }
                        return Ok((false, i));
                    }
                }
            }
            b'd' => {
                let wire = match self.parse_host_name()? {
                    None => None,
                    Some(name) => match name_to_wire(&name) {
                        Ok(w) => Some(w),
                        Err(e) => {
                            self.parse_warn(format!("Error assembling domain name: {}", e));
                            return Ok((false, i));
                        }
                    },
                };
                match wire {
                    Some(w) => parts.push(ValuePart::Bytes(w)),
                    None => {
                        self.parse_warn("not a valid domain name.");
                        self.skip_to_semi()?;
                        return Ok((false, i));
                    }
                }
            }
            b't' => {
                let t = self.next_token()?;
                if t != Token::String && !t.is_identifier() {
                    if !optional(i) {
                        self.parse_warn("expecting string.");
                        if !t.is(b';') {
                            self.skip_to_semi()?;
                        }
                    }
                    return Ok((false, i));
                }
                parts.push(ValuePart::Bytes(self.val_bytes()));
            }
            b'k' => {
                let bytes = if self.peek_token()? == Token::String {
                    self.next_token()?;
                    self.lex.value_cstr().to_vec()
                } else {
                    match self.parse_host_name()? {
                        Some(n) => n.into_bytes(),
                        None => {
                            self.parse_warn("not a valid key name.");
                            self.skip_to_semi()?;
                            return Ok((false, i));
                        }
                    }
                };
                parts.push(ValuePart::Bytes(bytes));
            }
            b'N' => {
                let Some(d) = f[i..].iter().position(|&c| c == b'.') else {
                    self.parse_warn("malformed enumeration format (bug!)");
                    self.skip_to_semi()?;
                    return Ok((false, i));
                };
                let enum_name = String::from_utf8_lossy(&f[i + 1..i + d]).into_owned();
                i += d;
                let t = self.next_token()?;
                if !t.is_identifier() {
                    self.parse_warn("identifier expected");
                    self.skip_to_semi()?;
                    return Ok((false, i));
                }
                let v = self.val();
                match crate::options::enums::find(&enum_name).and_then(|e| e.value_of(&v).map(|x| (e.width as usize, x))) {
                    Some((width, value)) => {
                        let be = value.to_be_bytes();
                        parts.push(ValuePart::Bytes(be[4 - width..].to_vec()));
                    }
                    None => {
                        self.parse_warn("unknown value");
                        self.skip_to_semi()?;
                        return Ok((false, i));
                    }
                }
            }
            b'I' => {
                if lookups {
                    match self.parse_ip_addr_or_hostname()? {
                        None => return Ok((false, i)),
                        Some(AddrOrName::Addr(a)) => parts.push(ValuePart::Bytes(a.octets().to_vec())),
                        Some(AddrOrName::Name(name)) => parts.push(ValuePart::HostLookup { name, first_only: !uniform }),
                    }
                } else {
                    match self.parse_ip_addr()? {
                        None => return Ok((false, i)),
                        Some(a) => parts.push(ValuePart::Bytes(a.octets().to_vec())),
                    }
                }
            }
            b'6' => {
                match self.parse_ip6_addr()? {
                    None => return Ok((false, i)),
                    Some(a) => parts.push(ValuePart::Bytes(a.octets().to_vec())),
                }
            }
            b'T' | b'L' | b'l' | b's' | b'S' | b'b' | b'B' => {
                let t = self.next_token()?;
                if at(i) == b'T' && t == Token::Kw(K::Infinite) {
                    parts.push(ValuePart::Bytes(vec![0xff; 4]));
                } else {
                    if t != Token::Number && t != Token::NumberOrName {
                        if !optional(i) {
                            self.parse_warn("expecting number.");
                            if !t.is(b';') {
                                self.skip_to_semi()?;
                            }
                        }
                        return Ok((false, i));
                    }
                    let bits = match at(i) {
                        b's' | b'S' => 16,
                        b'b' | b'B' => 8,
                        _ => 32,
                    };
                    let text = self.lex.value_cstr().to_vec();
                    let b = self.convert_num(&text, 0, bits);
                    parts.push(ValuePart::Bytes(b));
                }
            }
            b'f' => {
                let t = self.next_token()?;
                if !t.is_identifier() {
                    if !optional(i) {
                        self.parse_warn("expecting identifier.");
                        if !t.is(b';') {
                            self.skip_to_semi()?;
                        }
                    }
                    return Ok((false, i));
                }
                let v = self.lex.value_cstr().to_ascii_lowercase();
                let b = match v.as_slice() {
                    b"true" | b"on" => 1,
                    b"false" | b"off" => 0,
                    b"ignore" => 2,
                    _ => {
                        if !optional(i) {
                            self.parse_warn("expecting boolean.");
                            if !t.is(b';') {
                                self.skip_to_semi()?;
                            }
                        }
                        return Ok((false, i));
                    }
                };
                parts.push(ValuePart::Bytes(vec![b]));
            }
            b'Z' => {
                if !self.peek_token()?.is(b';') {
                    self.parse_warn("semicolon expected.");
                    self.skip_to_semi()?;
                }
                parts.push(ValuePart::Bytes(Vec::new()));
            }
            other => {
                self.parse_warn(format!("Bad format '{}' in parse_option_token.", other as char));
                self.skip_to_semi()?;
                return Ok((false, i));
            }
        }
        Ok((true, i))
    }

    /// `"name", "name", ...` as DNS wire names, optionally compressed
    /// (ISC `parse_domain_list`).
    fn parse_domain_list(&mut self, compress: bool) -> PResult<Option<Vec<u8>>> {
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut first = true;
        loop {
            if !first {
                self.skip_token()?; // the comma
            }
            first = false;
            if self.next_token()? != Token::String {
                self.parse_warn("Expecting a domain string.");
                return Ok(None);
            }
            names.push(self.lex.value_cstr().to_vec());
            if !self.peek_token()?.is(b',') {
                break;
            }
        }
        let texts: Vec<String> = names.iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect();
        let result = if compress {
            compress_names(&texts)
        } else {
            texts.iter().try_fold(Vec::new(), |mut acc, n| {
                acc.extend(name_to_wire(n)?);
                Ok(acc)
            })
        };
        match result {
            Ok(b) => Ok(Some(b)),
            Err(e) => {
                let what = if compress { "Error compressing domain list" } else { "Error assembling domain list" };
                self.parse_warn(format!("{}: {}", what, e));
                Ok(None)
            }
        }
    }
}
