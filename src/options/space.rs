//! What an option space (ISC: a "universe") is, apart from its options.
//!
//! ISC keeps one `struct universe` per space with function pointers for how
//! options of that space are stored, encapsulated and decoded. We keep the
//! same facts as plain data: the widths of the code and length fields, the
//! END code, whether duplicate options are concatenated, the storage kind
//! (which decides the order options come out in when ISC encapsulates the
//! space) and the wire encoding. The wire codec and the reply builder read
//! these; nothing here does IO.
//!
//! `option space NAME [code width N] [length width N] [hash size N];` creates
//! a space with [`SpaceDecl`]; the widths are checked here with ISC's own
//! messages so the dhcpd.conf parser can report them verbatim.

use std::fmt;

/// Width in bytes of the option-code field of a space (`code width N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeWidth {
    /// One byte: dhcp, agent, nwip, fqdn and the default for user spaces.
    One,
    /// Two bytes: the `isc` vendor space.
    Two,
    /// Four bytes: enterprise numbers in `vendor` / `vendor-class`, and the
    /// `server` config space (never on the wire).
    Four,
}

impl CodeWidth {
    /// Number of bytes on the wire.
    pub fn bytes(self) -> usize {
        match self {
            CodeWidth::One => 1,
            CodeWidth::Two => 2,
            CodeWidth::Four => 4,
        }
    }

    /// Largest code the field can carry.
    pub fn max_code(self) -> u32 {
        match self {
            CodeWidth::One => 0xff,
            CodeWidth::Two => 0xffff,
            CodeWidth::Four => u32::MAX,
        }
    }

    /// Checks the number after `code width` the way ISC's
    /// `parse_option_space_decl` does (it accepts 1, 2 or 4).
    pub fn from_decl(n: i32) -> Result<CodeWidth, WidthError> {
        match n {
            1 => Ok(CodeWidth::One),
            2 => Ok(CodeWidth::Two),
            4 => Ok(CodeWidth::Four),
            _ => Err(WidthError::Code(n)),
        }
    }
}

/// Width in bytes of the length field of a space (`length width N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LengthWidth {
    /// No length field. Only ISC's DHCPv6 vendor spaces use it; a
    /// declaration cannot ask for it, but the wire codec must not assume
    /// a length byte exists.
    Zero,
    /// One byte: every DHCPv4 space and the default for user spaces.
    One,
    /// Two bytes: the `isc` vendor space and user spaces that ask for it.
    Two,
}

impl LengthWidth {
    /// Number of bytes on the wire.
    pub fn bytes(self) -> usize {
        match self {
            LengthWidth::Zero => 0,
            LengthWidth::One => 1,
            LengthWidth::Two => 2,
        }
    }

    /// Checks the number after `length width` the way ISC's
    /// `parse_option_space_decl` does (it accepts only 1 or 2).
    pub fn from_decl(n: i32) -> Result<LengthWidth, WidthError> {
        match n {
            1 => Ok(LengthWidth::One),
            2 => Ok(LengthWidth::Two),
            _ => Err(WidthError::Length(n)),
        }
    }
}

/// A width in an `option space` declaration that ISC refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WidthError {
    /// `code width N` with N not 1, 2 or 4.
    Code(i32),
    /// `length width N` with N not 1 or 2.
    Length(i32),
}

impl fmt::Display for WidthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ISC's exact texts (server/confpars.c via common/parse.c).
        match self {
            WidthError::Code(n) => write!(f, "invalid code width ({n}), expecting a 1, 2 or 4."),
            WidthError::Length(n) => write!(f, "invalid length width ({n}) expecting 1 or 2."),
        }
    }
}

impl std::error::Error for WidthError {}

/// How ISC keeps the options of a space in an option state.
///
/// This is not cosmetic: when a space is encapsulated, hashed spaces are
/// emitted in hash-bucket order while linked spaces are emitted in the
/// order the options were saved, so the reply encoder needs to know which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Storage {
    /// `lookup_hashed_option` & co: dhcp, vendor, vendor-class, server and
    /// every user-declared space.
    Hashed,
    /// `lookup_linked_option` & co: agent, nwip, fqdn, isc.
    Linked,
}

/// How the options of a space travel inside their parent option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpaceEncoding {
    /// Plain code/length/data records using the space's widths.
    Tlv,
    /// Like [`SpaceEncoding::Tlv`], but when no suboption is configured ISC
    /// still sends suboption 1 so that option 63 is never empty
    /// (`nwip_option_space_encapsulate`).
    Nwip,
    /// Not records at all: the suboptions are the fields of the client FQDN
    /// option 81 (flags, rcode1, rcode2, name), packed and unpacked by
    /// `fqdn_option_space_encapsulate` / `fqdn_universe_decode`.
    Fqdn,
    /// Configuration parameters only (`server` space); never encoded.
    Config,
    /// A DHCPv6 space (`dhcp6`, `vsio`, `isc6` and ISC's `fqdn6` shim).
    /// ISC's DHCPv4 server registers them, so dhcpd.conf may set their
    /// options and `dhcpd -4 -t` checks the values, but nothing from these
    /// spaces ever goes into a DHCPv4 packet.
    Dhcpv6,
}

impl SpaceEncoding {
    /// Whether options of the space can appear in DHCPv4 packets at all.
    pub fn is_dhcpv4_wire(self) -> bool {
        !matches!(self, SpaceEncoding::Config | SpaceEncoding::Dhcpv6)
    }
}

/// An `option space` declaration after its widths were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceDecl {
    /// The space name as written.
    pub name: String,
    /// `code width`, 1 when not given.
    pub code_width: CodeWidth,
    /// `length width`, 1 when not given.
    pub length_width: LengthWidth,
}

impl SpaceDecl {
    /// A declaration with ISC's defaults: one-byte codes and lengths.
    pub fn new(name: impl Into<String>) -> SpaceDecl {
        SpaceDecl {
            name: name.into(),
            code_width: CodeWidth::One,
            length_width: LengthWidth::One,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_widths_follow_isc() {
        assert_eq!(CodeWidth::from_decl(1), Ok(CodeWidth::One));
        assert_eq!(CodeWidth::from_decl(2), Ok(CodeWidth::Two));
        assert_eq!(CodeWidth::from_decl(4), Ok(CodeWidth::Four));
        for bad in [0, 3, 8, -1] {
            assert_eq!(CodeWidth::from_decl(bad), Err(WidthError::Code(bad)));
        }
        assert_eq!(
            CodeWidth::from_decl(3).unwrap_err().to_string(),
            "invalid code width (3), expecting a 1, 2 or 4."
        );
        assert_eq!(CodeWidth::Two.max_code(), 65535);
    }

    #[test]
    fn length_widths_follow_isc() {
        assert_eq!(LengthWidth::from_decl(1), Ok(LengthWidth::One));
        assert_eq!(LengthWidth::from_decl(2), Ok(LengthWidth::Two));
        // 0 is a real width inside ISC but a declaration may not ask for it.
        assert_eq!(LengthWidth::from_decl(0), Err(WidthError::Length(0)));
        assert_eq!(
            LengthWidth::from_decl(4).unwrap_err().to_string(),
            "invalid length width (4) expecting 1 or 2."
        );
    }

    #[test]
    fn declaration_defaults_are_one_byte() {
        let d = SpaceDecl::new("local");
        assert_eq!(d.code_width.bytes(), 1);
        assert_eq!(d.length_width.bytes(), 1);
    }
}
