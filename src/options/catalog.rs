//! The runtime option catalog: ISC's universes and their name/code tables.
//!
//! [`OptionCatalog::isc`] loads the built-in [`table`](super::table); the
//! dhcpd.conf parser then feeds it `option space` declarations and `option
//! NAME code N = TYPE` definitions, and everything else looks options up in
//! it. The rules are ISC's, checked against dhcpd 4.4.3:
//!
//! * Space and option names match without regard to ASCII case (ISC hashes
//!   them with `do_case_hash` and compares with `casecmp`); the name is
//!   kept as first written.
//! * Declaring a space whose name exists makes a new, empty space that
//!   hides the old one from name lookups.
//! * Defining a name that exists in the space redefines that very option:
//!   its old code stops mapping to anything, and anything already holding
//!   a reference to it sees the new code and format.
//! * Defining a code that another option holds takes the code over; the
//!   other option keeps its name (3.0.x compatibility in ISC).
//! * `unknown-N` names code N: the definition of N if any (ISC logs that the
//!   name was redefined), else an ad-hoc option of format `X`. Codes 0 and
//!   the space's END code are refused.
//!
//! Ids are indices into this catalog; they stay valid as the catalog grows.

use std::collections::HashMap;
use std::fmt;

use super::format::{EncapsulatedSpace, OptionFormat};
use super::space::{CodeWidth, LengthWidth, SpaceDecl, SpaceEncoding, Storage};
use super::table;

/// Index of a space in an [`OptionCatalog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpaceId(u32);

impl SpaceId {
    /// The DHCP options proper; the space of unqualified option names.
    pub const DHCP: SpaceId = SpaceId(0);
    /// NetWare/IP suboptions (option 63).
    pub const NWIP: SpaceId = SpaceId(1);
    /// Client FQDN fields (option 81).
    pub const FQDN: SpaceId = SpaceId(2);
    /// Vendor-identified vendor classes (option 124).
    pub const VENDOR_CLASS: SpaceId = SpaceId(3);
    /// Vendor-identified vendor options (option 125).
    pub const VENDOR: SpaceId = SpaceId(4);
    /// ISC's vendor suboptions (vendor.isc).
    pub const ISC: SpaceId = SpaceId(5);
    /// Relay agent information suboptions (option 82).
    pub const AGENT: SpaceId = SpaceId(6);
    /// Server configuration parameters (`default-lease-time` & co).
    pub const SERVER: SpaceId = SpaceId(7);
    /// DHCPv6 options (config only in this server).
    pub const DHCP6: SpaceId = SpaceId(8);
    /// DHCPv6 vendor-identified options (dhcp6 option 17).
    pub const VSIO: SpaceId = SpaceId(9);
    /// ISC's DHCPv6 vendor suboptions.
    pub const ISC6: SpaceId = SpaceId(10);
    /// ISC's DHCPv6 FQDN shim space, which has no tables.
    pub const FQDN6: SpaceId = SpaceId(11);

    /// Position in the catalog's list of spaces.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The space at position `index` of the built-in table ([`super::table::SPACES`]),
    /// which the catalog's spaces start with.
    pub(crate) fn builtin(index: usize) -> SpaceId {
        SpaceId(index as u32)
    }
}

/// Index of an option definition in an [`OptionCatalog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OptionId(u32);

impl OptionId {
    /// Position in the catalog's list of definitions.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a definition came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// ISC's built-in tables.
    Builtin,
    /// A dhcpd.conf declaration or definition.
    User,
}

/// An option space as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    /// Name as first written.
    pub name: String,
    /// Width of the code field.
    pub code_width: CodeWidth,
    /// Width of the length field.
    pub length_width: LengthWidth,
    /// END code: 255 in dhcp, 0 elsewhere.
    pub end: u32,
    /// Whether repeated options are joined (dhcp only).
    pub concat_duplicates: bool,
    /// ISC's storage kind, which orders encapsulated output.
    pub storage: Storage,
    /// How the space travels on the wire.
    pub encoding: SpaceEncoding,
    /// The option that carries this space, once one is defined.
    pub encapsulated_by: Option<OptionId>,
    /// Whether the space has name and code tables. Only ISC's DHCPv6 FQDN
    /// shim lacks them: nothing is ever found in it by name or code, and
    /// definitions made in it are dropped (ISC adds to a missing table,
    /// which does nothing).
    pub tables: bool,
    /// Built in or declared.
    pub origin: Origin,
}

/// One option definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionDef {
    /// The space it belongs to.
    pub space: SpaceId,
    /// Its code in that space.
    pub code: u32,
    /// Name as first written (ISC prints it this way).
    pub name: String,
    /// Shape of its value.
    pub format: OptionFormat,
    /// Built in, or last (re)defined by the configuration.
    pub origin: Origin,
}

/// The result of looking up an option name the way ISC's
/// `parse_option_name` does without creating anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// The name is defined in the space.
    Defined(OptionId),
    /// `unknown-N` for a code that has a definition. ISC logs
    /// "option unknown-N has been redefined as option NAME.  Please update
    /// your configs if necessary." and then uses the definition.
    Renamed(OptionId),
    /// `unknown-N` for a code nobody defined: ISC uses a throwaway option
    /// named as written, format [`OptionFormat::unknown`], not entered in
    /// the tables.
    Unknown {
        /// The space named.
        space: SpaceId,
        /// The code after `unknown-`.
        code: u32,
    },
}

/// A failed name lookup, with ISC's message as its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// `option NOSUCH.name`.
    NoSuchSpace {
        /// The space name as written.
        space: String,
    },
    /// A name that is neither defined nor `unknown-N`.
    NoSuchOption {
        /// The space's name.
        space: String,
        /// The option name as written.
        name: String,
    },
    /// `unknown-0` or `unknown-END`.
    IllegalCode {
        /// The space's name.
        space: String,
        /// The space's END code.
        end: u32,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::NoSuchSpace { space } => write!(f, "no option space named {space}."),
            LookupError::NoSuchOption { space, name } => {
                write!(f, "no option named {name} in space {space}")
            }
            LookupError::IllegalCode { space, end } => {
                write!(
                    f,
                    "Option codes 0 and {end} are illegal in the {space} space."
                )
            }
        }
    }
}

impl std::error::Error for LookupError {}

/// A definition the catalog refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefineError {
    /// The space id does not belong to this catalog.
    NoSuchSpaceId(SpaceId),
    /// The option id does not belong to this catalog.
    NoSuchOption(OptionId),
    /// `encapsulate NAME` of a space that is not declared.
    UnknownEncapsulatedSpace {
        /// The space name as written.
        name: String,
    },
}

impl fmt::Display for DefineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefineError::NoSuchSpaceId(id) => write!(f, "option space #{} does not exist", id.0),
            DefineError::NoSuchOption(id) => write!(f, "option #{} does not exist", id.0),
            // ISC's text from parse_option_code_definition.
            DefineError::UnknownEncapsulatedSpace { name } => {
                write!(f, "unknown option space {name}")
            }
        }
    }
}

impl std::error::Error for DefineError {}

/// ISC's option spaces and definitions, extendable at run time.
#[derive(Debug, Clone)]
pub struct OptionCatalog {
    spaces: Vec<Space>,
    space_names: HashMap<String, SpaceId>,
    options: Vec<OptionDef>,
    names: HashMap<(SpaceId, String), OptionId>,
    codes: HashMap<(SpaceId, u32), OptionId>,
}

impl Default for OptionCatalog {
    fn default() -> OptionCatalog {
        OptionCatalog::isc()
    }
}

/// The key ISC's case-insensitive hashes effectively use.
fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl OptionCatalog {
    /// The catalog dhcpd starts with: every built-in space and option.
    pub fn isc() -> OptionCatalog {
        let mut catalog = OptionCatalog {
            spaces: Vec::with_capacity(table::SPACES.len() + 4),
            space_names: HashMap::new(),
            options: Vec::new(),
            names: HashMap::new(),
            codes: HashMap::new(),
        };
        for info in table::SPACES {
            let id = catalog.push_space(Space {
                name: info.name.to_string(),
                code_width: info.code_width,
                length_width: info.length_width,
                end: info.end,
                concat_duplicates: info.concat_duplicates,
                storage: info.storage,
                encoding: info.encoding,
                encapsulated_by: None,
                tables: info.tables,
                origin: Origin::Builtin,
            });
            for option in info.options {
                // The table is fixed data; every format in it is checked by
                // the tests, so a failure here is a build defect.
                let format = OptionFormat::parse(option.format).unwrap_or_else(|e| {
                    panic!("built-in option {}.{}: {e}", info.name, option.name)
                });
                catalog.insert_option(OptionDef {
                    space: id,
                    code: option.code,
                    name: option.name.to_string(),
                    format,
                    origin: Origin::Builtin,
                });
            }
        }
        for (index, info) in table::SPACES.iter().enumerate() {
            if let Some((parent_space, code)) = info.parent {
                let parent = catalog
                    .space_id(parent_space)
                    .and_then(|s| catalog.by_code(s, code));
                catalog.spaces[index].encapsulated_by = parent;
            }
        }
        catalog
    }

    fn push_space(&mut self, space: Space) -> SpaceId {
        let id = SpaceId(self.spaces.len() as u32);
        self.space_names.insert(fold(&space.name), id);
        self.spaces.push(space);
        id
    }

    fn insert_option(&mut self, def: OptionDef) -> OptionId {
        let id = OptionId(self.options.len() as u32);
        if self.has_tables(def.space) {
            self.names.insert((def.space, fold(&def.name)), id);
            self.codes.insert((def.space, def.code), id);
        }
        self.options.push(def);
        id
    }

    fn has_tables(&self, space: SpaceId) -> bool {
        self.spaces.get(space.index()).is_some_and(|s| s.tables)
    }

    /// The space a name refers to now (case-insensitive; the newest
    /// declaration of a name wins).
    pub fn space_id(&self, name: &str) -> Option<SpaceId> {
        self.space_names.get(&fold(name)).copied()
    }

    /// A space by id.
    pub fn space(&self, id: SpaceId) -> Option<&Space> {
        self.spaces.get(id.index())
    }

    /// Every space ever declared, hidden ones included, in creation order.
    pub fn spaces(&self) -> impl Iterator<Item = (SpaceId, &Space)> {
        self.spaces
            .iter()
            .enumerate()
            .map(|(i, s)| (SpaceId(i as u32), s))
    }

    /// A definition by id.
    pub fn option(&self, id: OptionId) -> Option<&OptionDef> {
        self.options.get(id.index())
    }

    /// Every definition ever made, including ones no longer reachable by
    /// name or code, in creation order.
    pub fn options(&self) -> impl Iterator<Item = (OptionId, &OptionDef)> {
        self.options
            .iter()
            .enumerate()
            .map(|(i, o)| (OptionId(i as u32), o))
    }

    /// The option a name refers to in a space (case-insensitive).
    pub fn by_name(&self, space: SpaceId, name: &str) -> Option<OptionId> {
        self.names.get(&(space, fold(name))).copied()
    }

    /// The option a code refers to in a space.
    pub fn by_code(&self, space: SpaceId, code: u32) -> Option<OptionId> {
        self.codes.get(&(space, code)).copied()
    }

    /// Convenience: the definition of `space.name`, both by name.
    pub fn find(&self, space: &str, name: &str) -> Option<&OptionDef> {
        let id = self.by_name(self.space_id(space)?, name)?;
        self.option(id)
    }

    /// The name ISC shows for a code: the definition's, or `unknown-N`.
    pub fn code_name(&self, space: SpaceId, code: u32) -> String {
        match self.by_code(space, code).and_then(|id| self.option(id)) {
            Some(def) => def.name.clone(),
            None => format!("unknown-{code}"),
        }
    }

    /// Looks up `[space.]name` as ISC's `parse_option_name` does for an
    /// option statement: no space means dhcp, and `unknown-N` is accepted.
    pub fn resolve(&self, space: Option<&str>, name: &str) -> Result<Resolved, LookupError> {
        let space_id = match space {
            None => SpaceId::DHCP,
            Some(space) => self
                .space_id(space)
                .ok_or_else(|| LookupError::NoSuchSpace {
                    space: space.to_string(),
                })?,
        };
        if let Some(id) = self.by_name(space_id, name) {
            return Ok(Resolved::Defined(id));
        }
        let info = &self.spaces[space_id.index()];
        let Some(number) = strip_unknown_prefix(name) else {
            return Err(LookupError::NoSuchOption {
                space: info.name.clone(),
                name: name.to_string(),
            });
        };
        let code = atoi(number);
        if code == 0 || code == info.end {
            return Err(LookupError::IllegalCode {
                space: info.name.clone(),
                end: info.end,
            });
        }
        Ok(match self.by_code(space_id, code) {
            Some(id) => Resolved::Renamed(id),
            None => Resolved::Unknown {
                space: space_id,
                code,
            },
        })
    }

    /// `option space NAME ...;`: a new, empty, hashed, TLV-encoded space
    /// with no END code. An existing space of that name stays (its options
    /// keep pointing at it) but the name now means the new one.
    pub fn define_space(&mut self, decl: SpaceDecl) -> SpaceId {
        self.push_space(Space {
            name: decl.name,
            code_width: decl.code_width,
            length_width: decl.length_width,
            end: 0,
            concat_duplicates: false,
            storage: Storage::Hashed,
            encoding: SpaceEncoding::Tlv,
            encapsulated_by: None,
            tables: true,
            origin: Origin::User,
        })
    }

    /// `option [SPACE.]NAME code CODE = TYPE;` with TYPE already turned
    /// into a format. ISC does not check the code against the space's code
    /// width, and neither does this. If the format encapsulates a space,
    /// that space is now carried by this option.
    pub fn define_option(
        &mut self,
        space: SpaceId,
        name: &str,
        code: u32,
        format: OptionFormat,
    ) -> Result<OptionId, DefineError> {
        if self.space(space).is_none() {
            return Err(DefineError::NoSuchSpaceId(space));
        }
        let carried = self.carried_space(&format)?;
        let id = match self.by_name(space, name) {
            Some(id) => {
                // ISC edits the known option in place after dropping its
                // name and its old code from the tables; the old code is
                // dropped even if another option took it over meanwhile.
                let def = &mut self.options[id.index()];
                self.codes.remove(&(space, def.code));
                def.code = code;
                def.format = format;
                def.origin = Origin::User;
                id
            }
            None => {
                let id = OptionId(self.options.len() as u32);
                self.options.push(OptionDef {
                    space,
                    code,
                    name: name.to_string(),
                    format,
                    origin: Origin::User,
                });
                id
            }
        };
        if self.has_tables(space) {
            self.names.insert((space, fold(name)), id);
            self.codes.insert((space, code), id);
        }
        if let Some(target) = carried {
            self.spaces[target.index()].encapsulated_by = Some(id);
        }
        Ok(id)
    }
}

impl OptionCatalog {
    /// Forgets what `name` and `code` refer to in `space`, as ISC does
    /// before `option NAME code N = TYPE;` redefines a known option: the
    /// name entry and the code entry are deleted by key, whichever options
    /// they point at. The definitions themselves stay (statements already
    /// holding them keep them).
    pub fn forget(&mut self, space: SpaceId, name: &str, code: u32) {
        self.names.remove(&(space, fold(name)));
        self.codes.remove(&(space, code));
    }

    /// Gives an existing definition a new code and format and enters it
    /// under its name and the new code, as ISC's
    /// `parse_option_code_definition` does with the option it was handed
    /// (after [`OptionCatalog::forget`]). A code held by another option is
    /// taken over.
    pub fn redefine(
        &mut self,
        id: OptionId,
        code: u32,
        format: OptionFormat,
    ) -> Result<OptionId, DefineError> {
        let Some(def) = self.options.get(id.index()) else {
            return Err(DefineError::NoSuchOption(id));
        };
        let (space, name) = (def.space, def.name.clone());
        let carried = self.carried_space(&format)?;
        let def = &mut self.options[id.index()];
        def.code = code;
        def.format = format;
        def.origin = Origin::User;
        if self.has_tables(space) {
            self.names.insert((space, fold(&name)), id);
            self.codes.insert((space, code), id);
        }
        if let Some(target) = carried {
            self.spaces[target.index()].encapsulated_by = Some(id);
        }
        Ok(id)
    }

    fn carried_space(&self, format: &OptionFormat) -> Result<Option<SpaceId>, DefineError> {
        match format.encapsulated_space() {
            Some(EncapsulatedSpace::Named(target)) => self
                .space_id(target)
                .map(Some)
                .ok_or_else(|| DefineError::UnknownEncapsulatedSpace {
                    name: target.clone(),
                }),
            _ => Ok(None),
        }
    }
}

/// The digits of `unknown-N`, the prefix matched without case like ISC.
fn strip_unknown_prefix(name: &str) -> Option<&str> {
    const PREFIX: &str = "unknown-";
    let head = name.get(..PREFIX.len())?;
    head.eq_ignore_ascii_case(PREFIX)
        .then(|| &name[PREFIX.len()..])
}

/// C's `atoi` as glibc does it (`(int) strtol(s, NULL, 10)`), then taken
/// as unsigned the way ISC stores it: leading blanks and a sign are
/// accepted, parsing stops at the first non-digit, an empty number is 0,
/// out-of-range values saturate in `long` and then wrap to 32 bits.
fn atoi(s: &str) -> u32 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut value: i64 = 0;
    for digit in digits.bytes().take_while(u8::is_ascii_digit) {
        let d = i64::from(digit - b'0');
        value = if negative {
            value.saturating_mul(10).saturating_sub(d)
        } else {
            value.saturating_mul(10).saturating_add(d)
        };
    }
    value as i32 as u32
}

#[cfg(test)]
mod tests;
