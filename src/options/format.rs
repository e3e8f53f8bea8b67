//! ISC option format strings, parsed into typed descriptors.
//!
//! ISC describes the shape of every option with a short string of letters
//! (`"IA"` for `routers`, `"fIa"` for `slp-directory-agent`, `"Dc"` for
//! `domain-search`). The dhcpd.conf parser, the wire codec, the lease file
//! and OMAPI all need the same reading of those strings, so it is done once
//! here. [`OptionFormat::parse`] keeps the original text (ISC prints and
//! compares it) next to a list of [`Element`]s.
//!
//! The letters, as ISC 4.4 gives them meaning (`common/tables.c` header,
//! `parse_option_token` / `parse_option_data` in `common/parse.c`,
//! `pretty_print_option` / `format_min_length` in `common/options.c`):
//!
//! | letter | atom | wire size |
//! |---|---|---|
//! | `I` | IPv4 address | 4 |
//! | `6` | IPv6 address | 16 |
//! | `b` `B` | signed / unsigned 8-bit integer | 1 |
//! | `s` `S` | signed / unsigned 16-bit integer | 2 |
//! | `l` `L` | signed / unsigned 32-bit integer | 4 |
//! | `T` | lease time: unsigned 32-bit or `infinite` | 4 |
//! | `f` | flag: `true`/`on`, `false`/`off` (and `ignore` in config) | 1 |
//! | `F` | implicit flag: present means true (printer only) | 1 |
//! | `t` | text | rest |
//! | `X` | string: quoted text or colon-separated hex | rest |
//! | `d` | one domain name, unquoted, RFC 1035 on the wire | name |
//! | `D` / `Dc` | list of quoted domain names; `c`: compression pointers | rest |
//! | `E<space>.` | encapsulated options of `<space>`; `E.` = vendor space | rest |
//! | `N<enum>.` | value of a named [`super::enums::Enumeration`] | its width |
//! | `U` | name of an option space (identifier) | rest |
//! | `k` | key name (string or host-name-like) | rest |
//! | `Z` | nothing: zero-length option | 0 |
//!
//! Modifiers follow the atom they change: `o` makes it optional, `a` makes
//! it repeat (a comma-separated array of that atom), and a final `A` makes
//! the whole record repeat. A leading `e` is only a hint that an `E` comes
//! later.
//!
//! `option NAME code N = TYPE;` builds these strings: `boolean` → `f`,
//! `[signed|unsigned] integer 8|16|32` → `b`/`B`/`s`/`S`/`l`/`L` (plain
//! `integer` is signed), `ip-address` → `I`, `ip6-address` → `6`, `text` →
//! `t`, `string` → `X`, `domain-name` → `d`, `domain-list [compressed]` →
//! `D`/`Dc`, `encapsulate S` → `ES.`, `zerolen` → `Z`; `array of T` appends
//! `a`, `array of { ... }` appends `A`, and `array of T` inside a record
//! puts an `a` right after T.

use std::fmt;
use std::str::FromStr;

use super::enums;

/// Width of an integer atom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntWidth {
    /// `b` / `B`.
    W8,
    /// `s` / `S`.
    W16,
    /// `l` / `L`.
    W32,
}

impl IntWidth {
    /// Size on the wire.
    pub fn bytes(self) -> usize {
        match self {
            IntWidth::W8 => 1,
            IntWidth::W16 => 2,
            IntWidth::W32 => 4,
        }
    }

    /// Size in bits, as ISC's `convert_num` is told.
    pub fn bits(self) -> u32 {
        8 * self.bytes() as u32
    }
}

/// The space named by an `E` atom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EncapsulatedSpace {
    /// `E.`: whichever space `vendor-option-space` selects for the client
    /// (option 43, vendor-encapsulated-options).
    Vendor,
    /// `E<name>.`: that space.
    Named(String),
}

/// One value-bearing position of a format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Atom {
    /// `I`: IPv4 address. In config, a dotted quad or (when the statement
    /// allows lookups) a host name resolved later.
    Ip4,
    /// `6`: IPv6 address.
    Ip6,
    /// `b B s S l L`: integer of that width and signedness. ISC's config
    /// parser takes a NUMBER or NUMBER_OR_NAME token and converts it with
    /// `convert_num(.., width.bits())`.
    Int {
        /// Size of the integer.
        width: IntWidth,
        /// Lower-case letter: signed.
        signed: bool,
    },
    /// `T`: lease interval, unsigned 32 bits; `infinite` stands for
    /// 0xffffffff and is printed back as `infinite`.
    LeaseTime,
    /// `f`: one-byte flag: `true`/`on` = 1, `false`/`off` = 0, matched
    /// without case; the config parser also takes `ignore` = 2 (the lease
    /// file parser does not).
    Bool,
    /// `F`: flag that is true by being present; 1 byte for the printer, not
    /// accepted by ISC's config parser ("Bad format 'F'").
    ImplicitFlag,
    /// `t`: text; a quoted string (or an identifier) in config. Only ever
    /// last. Trailing NULs are stripped on receipt.
    Text,
    /// `X`: octets, written as a quoted string or colon-separated hex;
    /// printed as text when printable, else as hex.
    Data,
    /// `d`: a single domain name, unquoted in config, RFC 1035 on the wire.
    DomainName,
    /// `D`: quoted, comma-separated domain names, RFC 1035 on the wire.
    DomainList {
        /// `Dc`: emit compression pointers (domain-search).
        compressed: bool,
    },
    /// `E<space>.`: the options of another space, packed into this one;
    /// in config the raw bytes may be given as a string or hex instead.
    Encapsulate(EncapsulatedSpace),
    /// `N<name>.`: a name from the enumeration called `<name>`.
    Enumeration(String),
    /// `U`: an option space name (an identifier); `vendor-option-space`.
    SpaceName,
    /// `k`: a key name, quoted or host-name-like; `omapi-key`.
    KeyName,
    /// `Z`: nothing; the statement ends at the semicolon.
    ZeroLength,
}

impl Atom {
    /// Size on the wire when it does not depend on the data. An
    /// enumeration that is not defined has no known size.
    pub fn fixed_len(&self) -> Option<usize> {
        match self {
            Atom::Ip4 | Atom::LeaseTime => Some(4),
            Atom::Ip6 => Some(16),
            Atom::Int { width, .. } => Some(width.bytes()),
            Atom::Bool | Atom::ImplicitFlag => Some(1),
            Atom::ZeroLength => Some(0),
            Atom::Enumeration(name) => enums::find(name).map(|e| usize::from(e.width)),
            Atom::Text
            | Atom::Data
            | Atom::DomainName
            | Atom::DomainList { .. }
            | Atom::Encapsulate(_)
            | Atom::SpaceName
            | Atom::KeyName => None,
        }
    }

    /// Whether ISC's config parser (`parse_option_token`) can read a value
    /// for this atom.
    pub fn is_config_value(&self) -> bool {
        !matches!(self, Atom::ImplicitFlag)
    }

    fn write_letters(&self, out: &mut String) {
        let letter = match self {
            Atom::Ip4 => 'I',
            Atom::Ip6 => '6',
            Atom::Int { width, signed } => match (width, signed) {
                (IntWidth::W8, true) => 'b',
                (IntWidth::W8, false) => 'B',
                (IntWidth::W16, true) => 's',
                (IntWidth::W16, false) => 'S',
                (IntWidth::W32, true) => 'l',
                (IntWidth::W32, false) => 'L',
            },
            Atom::LeaseTime => 'T',
            Atom::Bool => 'f',
            Atom::ImplicitFlag => 'F',
            Atom::Text => 't',
            Atom::Data => 'X',
            Atom::DomainName => 'd',
            Atom::DomainList { compressed } => {
                out.push('D');
                if *compressed {
                    out.push('c');
                }
                return;
            }
            Atom::Encapsulate(space) => {
                out.push('E');
                if let EncapsulatedSpace::Named(name) = space {
                    out.push_str(name);
                }
                out.push('.');
                return;
            }
            Atom::Enumeration(name) => {
                out.push('N');
                out.push_str(name);
                out.push('.');
                return;
            }
            Atom::SpaceName => 'U',
            Atom::KeyName => 'k',
            Atom::ZeroLength => 'Z',
        };
        out.push(letter);
    }
}

/// An atom with its modifiers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Element {
    /// What the value is.
    pub atom: Atom,
    /// `o`: the value may be left out (only when the statement ends here).
    pub optional: bool,
    /// `a`: this atom repeats, comma-separated, before the format goes on.
    pub repeated: bool,
}

/// A parsed ISC format string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OptionFormat {
    source: String,
    encapsulation_hint: bool,
    elements: Vec<Element>,
    record_array: bool,
}

/// ISC's format for options it has no definition for (`unknown-N`).
pub const UNKNOWN_OPTION_FORMAT: &str = "X";

impl OptionFormat {
    /// Parses a format string. Accepts every string ISC's tables and
    /// `option ... code N = TYPE` definitions produce; rejects letters ISC
    /// does not know and modifiers in places ISC never puts them.
    pub fn parse(source: &str) -> Result<OptionFormat, FormatError> {
        Parser::new(source).run()
    }

    /// The format of an option nobody defined (ISC's `default_option_format`).
    pub fn unknown() -> OptionFormat {
        OptionFormat {
            source: UNKNOWN_OPTION_FORMAT.to_string(),
            encapsulation_hint: false,
            elements: vec![Element {
                atom: Atom::Data,
                optional: false,
                repeated: false,
            }],
            record_array: false,
        }
    }

    /// The format string as ISC has it.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The atoms in order. Empty for the four `nwip.illegal-N` options,
    /// for which ISC's config parser reports a bad format.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// `A` at the end: the whole record repeats, comma-separated.
    pub fn is_record_array(&self) -> bool {
        self.record_array
    }

    /// Whether any part of the option repeats (`A` or an `a`).
    pub fn is_array(&self) -> bool {
        self.record_array || self.elements.iter().any(|e| e.repeated)
    }

    /// A leading `e`: an `E` atom follows later in the format.
    pub fn has_encapsulation_hint(&self) -> bool {
        self.encapsulation_hint
    }

    /// `Z` first: ISC takes the option's statement to end right here.
    pub fn is_zero_length(&self) -> bool {
        matches!(
            self.elements.first(),
            Some(Element {
                atom: Atom::ZeroLength,
                ..
            })
        )
    }

    /// The space of the first `E` atom, wherever it is (ISC's
    /// `find_option_universe` searches the string for `E`).
    pub fn encapsulated_space(&self) -> Option<&EncapsulatedSpace> {
        self.elements.iter().find_map(|e| match &e.atom {
            Atom::Encapsulate(space) => Some(space),
            _ => None,
        })
    }

    /// Whether received data is decoded as suboptions: ISC does so when
    /// the format starts with `E` or with the `e` hint.
    pub fn decodes_suboptions(&self) -> bool {
        self.encapsulation_hint
            || matches!(
                self.elements.first(),
                Some(Element {
                    atom: Atom::Encapsulate(_),
                    ..
                })
            )
    }

    /// ISC's `format_has_text`: true when a `t` or `k` comes before any
    /// `X`, `d`, `D` or array. Such options get their trailing NULs
    /// stripped on receipt and a NUL added when the client asked for it.
    pub fn has_text(&self) -> bool {
        for element in &self.elements {
            match element.atom {
                Atom::Text | Atom::KeyName => return true,
                Atom::Data | Atom::DomainName | Atom::DomainList { .. } => return false,
                _ => {}
            }
            if element.repeated {
                return false;
            }
        }
        false
    }

    /// ISC's `format_min_length`: the bytes before the first part whose
    /// size is not fixed, an optional part, or an array. The text-option
    /// NUL stripping never shortens an option below this. `None` where ISC
    /// has no safe value and answers `INT_MAX` (an undefined enumeration, a
    /// `U`), so nothing may be stripped.
    pub fn min_len(&self) -> Option<usize> {
        if self.encapsulation_hint {
            return Some(0);
        }
        let mut min = 0usize;
        for element in &self.elements {
            let size = match &element.atom {
                Atom::SpaceName => return None,
                Atom::Enumeration(name) => usize::from(enums::find(name)?.width),
                atom => match atom.fixed_len() {
                    Some(size) if !matches!(atom, Atom::ZeroLength) => size,
                    _ => return Some(min),
                },
            };
            if element.optional {
                // ISC takes the optional atom back out and stops there.
                return Some(min);
            }
            min += size;
            if element.repeated {
                return Some(min);
            }
        }
        Some(min)
    }
}

impl fmt::Display for OptionFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for OptionFormat {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<OptionFormat, FormatError> {
        OptionFormat::parse(s)
    }
}

impl OptionFormat {
    /// Builds a format from typed parts, for `option NAME code N = TYPE;`
    /// definitions; the string is rendered in ISC's letters and checked
    /// like any other.
    pub fn from_parts(
        elements: Vec<Element>,
        record_array: bool,
    ) -> Result<OptionFormat, FormatError> {
        OptionFormat::parse(&render(false, &elements, record_array))
    }
}

/// Writes the canonical string for a list of elements; equal to the
/// source for every well-formed format.
fn render(hint: bool, elements: &[Element], record_array: bool) -> String {
    let mut out = String::new();
    if hint {
        out.push('e');
    }
    for element in elements {
        element.atom.write_letters(&mut out);
        if element.optional {
            out.push('o');
        }
        if element.repeated {
            out.push('a');
        }
    }
    if record_array {
        out.push('A');
    }
    out
}

/// Why a format string was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// The whole format string.
    pub format: String,
    /// Byte offset of the offending letter.
    pub offset: usize,
    /// What is wrong there.
    pub kind: FormatErrorKind,
}

/// The ways a format string can be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatErrorKind {
    /// A letter that is not a format atom.
    UnknownLetter(char),
    /// `E` or `N` whose name is not closed by a `.`.
    MissingDot(char),
    /// `N.`: an enumeration needs a name.
    EmptyEnumerationName,
    /// `o`, `a`, `c` or `A` with no atom before it.
    ModifierWithoutAtom(char),
    /// A modifier where ISC never puts one: `c` not right after `D`, a
    /// second `o` or `a`, or `o` after `a`.
    MisplacedModifier(char),
    /// `e` anywhere but first.
    MisplacedHint,
    /// `A` not at the very end.
    RecordArrayNotLast,
    /// `A` on a record that already has an `a` (ISC: "no nested arrays.").
    NestedArray,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad option format \"{}\" at offset {}: ",
            self.format, self.offset
        )?;
        match self.kind {
            FormatErrorKind::UnknownLetter(c) => write!(f, "unknown format letter '{c}'"),
            FormatErrorKind::MissingDot(c) => write!(f, "'{c}' name is not terminated by '.'"),
            FormatErrorKind::EmptyEnumerationName => f.write_str("enumeration without a name"),
            FormatErrorKind::ModifierWithoutAtom(c) => write!(f, "'{c}' does not follow an atom"),
            FormatErrorKind::MisplacedModifier(c) => write!(f, "'{c}' is not allowed here"),
            FormatErrorKind::MisplacedHint => f.write_str("'e' is only allowed first"),
            FormatErrorKind::RecordArrayNotLast => f.write_str("'A' must be last"),
            FormatErrorKind::NestedArray => f.write_str("'A' on a record that has an 'a'"),
        }
    }
}

impl std::error::Error for FormatError {}

/// A cursor over the bytes of a format string.
struct Parser<'a> {
    source: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(source: &'a str) -> Parser<'a> {
        Parser { source, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.source.as_bytes().get(self.pos).copied()
    }

    fn fail(&self, offset: usize, kind: FormatErrorKind) -> FormatError {
        FormatError {
            format: self.source.to_string(),
            offset,
            kind,
        }
    }

    fn run(mut self) -> Result<OptionFormat, FormatError> {
        let hint = self.peek() == Some(b'e');
        if hint {
            self.pos += 1;
        }
        let mut elements: Vec<Element> = Vec::new();
        let mut record_array = false;
        while let Some(byte) = self.peek() {
            let start = self.pos;
            match byte {
                b'A' => {
                    if elements.is_empty() {
                        return Err(self.fail(start, FormatErrorKind::ModifierWithoutAtom('A')));
                    }
                    if start + 1 != self.source.len() {
                        return Err(self.fail(start, FormatErrorKind::RecordArrayNotLast));
                    }
                    if elements.iter().any(|e| e.repeated) {
                        return Err(self.fail(start, FormatErrorKind::NestedArray));
                    }
                    record_array = true;
                    self.pos += 1;
                }
                b'o' | b'a' | b'c' => {
                    let kind = if elements.is_empty() {
                        FormatErrorKind::ModifierWithoutAtom(char::from(byte))
                    } else {
                        FormatErrorKind::MisplacedModifier(char::from(byte))
                    };
                    return Err(self.fail(start, kind));
                }
                b'e' => return Err(self.fail(start, FormatErrorKind::MisplacedHint)),
                _ => {
                    let atom = self.atom()?;
                    let optional = self.modifier(b'o');
                    let repeated = self.modifier(b'a');
                    elements.push(Element {
                        atom,
                        optional,
                        repeated,
                    });
                }
            }
        }
        Ok(OptionFormat {
            source: self.source.to_string(),
            encapsulation_hint: hint,
            elements,
            record_array,
        })
    }

    fn modifier(&mut self, letter: u8) -> bool {
        let present = self.peek() == Some(letter);
        if present {
            self.pos += 1;
        }
        present
    }

    /// Reads `<name>.` after an `E` or `N` at `start`.
    fn dotted_name(&mut self, start: usize, letter: char) -> Result<&'a str, FormatError> {
        let rest = &self.source[self.pos..];
        match rest.find('.') {
            Some(len) => {
                self.pos += len + 1;
                Ok(&rest[..len])
            }
            None => Err(self.fail(start, FormatErrorKind::MissingDot(letter))),
        }
    }

    fn atom(&mut self) -> Result<Atom, FormatError> {
        let start = self.pos;
        // Atoms are ASCII; anything else is reported as the full character.
        let letter = self.source[start..].chars().next().unwrap_or('\0');
        self.pos += letter.len_utf8();
        let int = |width, signed| Atom::Int { width, signed };
        let atom = match letter {
            'I' => Atom::Ip4,
            '6' => Atom::Ip6,
            'b' => int(IntWidth::W8, true),
            'B' => int(IntWidth::W8, false),
            's' => int(IntWidth::W16, true),
            'S' => int(IntWidth::W16, false),
            'l' => int(IntWidth::W32, true),
            'L' => int(IntWidth::W32, false),
            'T' => Atom::LeaseTime,
            'f' => Atom::Bool,
            'F' => Atom::ImplicitFlag,
            't' => Atom::Text,
            'X' => Atom::Data,
            'd' => Atom::DomainName,
            'D' => Atom::DomainList {
                compressed: self.modifier(b'c'),
            },
            'U' => Atom::SpaceName,
            'k' => Atom::KeyName,
            'Z' => Atom::ZeroLength,
            'E' => {
                let name = self.dotted_name(start, 'E')?;
                if name.is_empty() {
                    Atom::Encapsulate(EncapsulatedSpace::Vendor)
                } else {
                    Atom::Encapsulate(EncapsulatedSpace::Named(name.to_string()))
                }
            }
            'N' => {
                let name = self.dotted_name(start, 'N')?;
                if name.is_empty() {
                    return Err(self.fail(start, FormatErrorKind::EmptyEnumerationName));
                }
                Atom::Enumeration(name.to_string())
            }
            other => return Err(self.fail(start, FormatErrorKind::UnknownLetter(other))),
        };
        Ok(atom)
    }
}

#[cfg(test)]
mod tests;
