//! ISC 4.4.3's DHCPv6 option spaces, as the DHCPv4 server knows them.
//!
//! `dhcpd -4` registers every DHCPv6 space at start-up
//! (`initialize_common_option_spaces` in `common/tables.c`), so a v4
//! dhcpd.conf may say `option dhcp6.name-servers 2001:db8::1;` and ISC
//! checks the value against the format below. We keep the same tables so
//! such configs are accepted or rejected exactly as ISC does; the spaces
//! carry [`SpaceEncoding::Dhcpv6`] so nothing from them is ever put into a
//! DHCPv4 packet. Codes and names were checked against the packaged binary
//! (`option dhcp6.unknown-N "x";` logs the name it has for code N): every
//! `RFCxxxx_OPTIONS` block is compiled in; the `#if 0` rows (auth,
//! user-class, vendor-class) are not.

use super::{opt, StaticOption, StaticSpace};
use crate::options::space::{CodeWidth, LengthWidth, SpaceEncoding, Storage};

/// Name of ISC's DHCPv6 FQDN shim space, as ISC spells it. ISC gives it no
/// name or code tables (it forwards to the v4 `fqdn` space at run time):
/// looking a name up in it finds nothing, and definitions in it vanish.
pub const FQDN6_SHIM: &str = "fqdn6-if-you-see-me-its-a-bug-bug-bug";

/// `dhcp6`: the DHCPv6 options proper.
pub(super) const DHCP6: StaticSpace = StaticSpace {
    name: "dhcp6",
    code_width: CodeWidth::Two,
    length_width: LengthWidth::Two,
    end: 0,
    concat_duplicates: false,
    storage: Storage::Hashed,
    encoding: SpaceEncoding::Dhcpv6,
    parent: None,
    tables: true,
    options: DHCP6_OPTIONS,
};

/// `vsio`: vendor-identified DHCPv6 options (dhcp6 option 17).
pub(super) const VSIO: StaticSpace = StaticSpace {
    name: "vsio",
    code_width: CodeWidth::Four,
    length_width: LengthWidth::Zero,
    end: 0,
    concat_duplicates: false,
    storage: Storage::Hashed,
    encoding: SpaceEncoding::Dhcpv6,
    parent: Some(("dhcp6", 17)),
    tables: true,
    options: VSIO_OPTIONS,
};

/// `isc6`: ISC's vendor suboptions inside `vsio.isc`.
pub(super) const ISC6: StaticSpace = StaticSpace {
    name: "isc6",
    code_width: CodeWidth::Four,
    length_width: LengthWidth::Zero,
    end: 0,
    concat_duplicates: false,
    storage: Storage::Hashed,
    encoding: SpaceEncoding::Dhcpv6,
    parent: Some(("vsio", 2495)),
    tables: true,
    options: ISC6_OPTIONS,
};

/// ISC's FQDN shim (dhcp6 option 39): no tables of its own.
pub(super) const FQDN6: StaticSpace = StaticSpace {
    name: FQDN6_SHIM,
    // ISC sets both sizes to 0 and notes they mean nothing here.
    code_width: CodeWidth::One,
    length_width: LengthWidth::Zero,
    end: 0,
    concat_duplicates: false,
    storage: Storage::Linked,
    encoding: SpaceEncoding::Dhcpv6,
    parent: Some(("dhcp6", 39)),
    tables: false,
    options: &[],
};

// The dhcp6 space (`dhcpv6_options` in common/tables.c).
const DHCP6_OPTIONS: &[StaticOption] = &[
    opt(1, "client-id", "X"),
    opt(2, "server-id", "X"),
    opt(3, "ia-na", "X"),
    opt(4, "ia-ta", "X"),
    opt(5, "ia-addr", "X"),
    opt(6, "oro", "SA"),
    opt(7, "preference", "B"),
    opt(8, "elapsed-time", "S"),
    opt(9, "relay-msg", "X"),
    opt(12, "unicast", "6"),
    opt(13, "status-code", "Nstatus-codes.to"),
    opt(14, "rapid-commit", "Z"),
    opt(17, "vendor-opts", "Evsio."),
    opt(18, "interface-id", "X"),
    opt(19, "reconf-msg", "Ndhcpv6-messages."),
    opt(20, "reconf-accept", "Z"),
    opt(21, "sip-servers-names", "D"),
    opt(22, "sip-servers-addresses", "6A"),
    opt(23, "name-servers", "6A"),
    opt(24, "domain-search", "D"),
    opt(25, "ia-pd", "X"),
    opt(26, "ia-prefix", "X"),
    opt(27, "nis-servers", "6A"),
    opt(28, "nisp-servers", "6A"),
    opt(29, "nis-domain-name", "D"),
    opt(30, "nisp-domain-name", "D"),
    opt(31, "sntp-servers", "6A"),
    opt(32, "info-refresh-time", "T"),
    opt(33, "bcms-server-d", "D"),
    opt(34, "bcms-server-a", "6A"),
    opt(36, "geoconf-civic", "X"),
    opt(37, "remote-id", "X"),
    opt(38, "subscriber-id", "X"),
    opt(39, "fqdn", "Efqdn6-if-you-see-me-its-a-bug-bug-bug."),
    opt(40, "pana-agent", "6A"),
    opt(41, "new-posix-timezone", "t"),
    opt(42, "new-tzdb-timezone", "t"),
    opt(43, "ero", "SA"),
    opt(44, "lq-query", "X"),
    opt(45, "client-data", "X"),
    opt(46, "clt-time", "L"),
    opt(47, "lq-relay-data", "6X"),
    opt(48, "lq-client-link", "6A"),
    opt(51, "v6-lost", "d"),
    opt(52, "capwap-ac-v6", "6a"),
    opt(53, "relay-id", "X"),
    opt(57, "v6-access-domain", "d"),
    opt(58, "sip-ua-cs-list", "D"),
    opt(59, "bootfile-url", "t"),
    opt(60, "bootfile-param", "X"),
    opt(61, "client-arch-type", "SA"),
    opt(62, "nii", "BBB"),
    opt(64, "aftr-name", "d"),
    opt(65, "erp-local-domain-name", "d"),
    opt(74, "rdnss-selection", "6BD"),
    opt(79, "client-linklayer-addr", "X"),
    opt(80, "link-address", "6"),
    opt(82, "solmax-rt", "L"),
    opt(83, "inf-max-rt", "L"),
    opt(87, "dhcpv4-msg", "X"),
    opt(88, "dhcp4-o-dhcp6-server", "6A"),
    opt(103, "v6-captive-portal", "t"),
    opt(135, "relay-source-port", "S"),
    opt(143, "ipv6-address-andsf", "6A"),
];

// DHCPv6 vendor-identified options (option 17): codes are enterprise numbers.
const VSIO_OPTIONS: &[StaticOption] = &[opt(2495, "isc", "Eisc6.")];

// ISC's own DHCPv6 vendor suboptions.
const ISC6_OPTIONS: &[StaticOption] = &[
    opt(1, "media", "t"),
    opt(2, "update-assist", "X"),
    opt(60000, "4o6-interface", "t"),
    opt(60001, "4o6-source-address", "6"),
];
