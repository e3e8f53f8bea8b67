//! ISC dhcpd 4.4.3's built-in DHCPv4 option spaces and options, as data.
//!
//! Every row is a fact copied from ISC: `common/tables.c` (dhcp, nwip, fqdn,
//! vendor-class, vendor, isc) and `server/stables.c` (agent, server), with
//! the compile-time choices of the packaged `/usr/sbin/dhcpd` 4.4.3-P1:
//! every `RFCxxxx_OPTIONS` of `includes/site.h` on, `DELAYED_ACK` and
//! `FAILOVER_PROTOCOL` on, LDAP and `EUI_64` off. Names and codes were
//! checked against that binary (`option SPACE.unknown-CODE;` makes it log
//! the name it has for each code). ISC's DHCPv6 spaces (dhcp6, vsio, isc6
//! and the fqdn6 shim) are in the `v6` submodule: the v4 server knows them for
//! dhcpd.conf's sake only and never encodes them.
//!
//! The format strings are ISC's, letter for letter; [`super::format`]
//! turns them into typed descriptors. The runtime catalog
//! ([`super::OptionCatalog`]) is loaded from here and is what the rest of
//! the crate should use: user definitions can change it at run time.

use super::space::{CodeWidth, LengthWidth, SpaceEncoding, Storage};

mod v6;
pub use v6::FQDN6_SHIM;

/// One built-in option: its code, ISC's name and ISC's format string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticOption {
    /// Option code inside its space.
    pub code: u32,
    /// ISC's name, case preserved (lookups ignore ASCII case).
    pub name: &'static str,
    /// ISC's format string (see [`super::format::OptionFormat`]).
    pub format: &'static str,
}

const fn opt(code: u32, name: &'static str, format: &'static str) -> StaticOption {
    StaticOption { code, name, format }
}

/// One built-in option space and its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticSpace {
    /// ISC's space name, used before the dot in `option SPACE.NAME`.
    pub name: &'static str,
    /// Width of the code field inside the parent option.
    pub code_width: CodeWidth,
    /// Width of the length field inside the parent option.
    pub length_width: LengthWidth,
    /// The END code (`universe->end`): 255 for dhcp, 0 elsewhere.
    /// `unknown-0` and `unknown-END` are refused in config files.
    pub end: u32,
    /// Whether repeated options of this space are joined into one
    /// (RFC 3396); only the dhcp space does this.
    pub concat_duplicates: bool,
    /// How ISC stores the options of the space.
    pub storage: Storage,
    /// How the space is carried on the wire.
    pub encoding: SpaceEncoding,
    /// The option that carries this space: `(space, code)`.
    pub parent: Option<(&'static str, u32)>,
    /// Whether ISC gives the space name and code tables. Only the DHCPv6
    /// FQDN shim has none: nothing is found in it and definitions made in
    /// it are lost.
    pub tables: bool,
    /// The options of the space, in ISC's table order.
    pub options: &'static [StaticOption],
}

/// The built-in spaces: the DHCPv4 ones in ISC's registration order (the
/// order of `initialize_common_option_spaces` then
/// `initialize_server_option_spaces`), then the DHCPv6 ones ISC registers
/// in between, moved last so the DHCPv4 ids stay small and fixed.
/// [`super::SpaceId`] constants index this.
pub static SPACES: &[StaticSpace] = &[
    StaticSpace {
        name: "dhcp",
        code_width: CodeWidth::One,
        length_width: LengthWidth::One,
        end: 255,
        concat_duplicates: true,
        storage: Storage::Hashed,
        encoding: SpaceEncoding::Tlv,
        parent: None,
        tables: true,
        options: DHCP_OPTIONS,
    },
    StaticSpace {
        name: "nwip",
        code_width: CodeWidth::One,
        length_width: LengthWidth::One,
        end: 0,
        concat_duplicates: false,
        storage: Storage::Linked,
        encoding: SpaceEncoding::Nwip,
        parent: Some(("dhcp", 63)),
        tables: true,
        options: NWIP_OPTIONS,
    },
    StaticSpace {
        name: "fqdn",
        code_width: CodeWidth::One,
        length_width: LengthWidth::One,
        end: 0,
        concat_duplicates: false,
        storage: Storage::Linked,
        encoding: SpaceEncoding::Fqdn,
        parent: Some(("dhcp", 81)),
        tables: true,
        options: FQDN_OPTIONS,
    },
    StaticSpace {
        name: "vendor-class",
        code_width: CodeWidth::Four,
        length_width: LengthWidth::One,
        end: 0,
        concat_duplicates: false,
        storage: Storage::Hashed,
        encoding: SpaceEncoding::Tlv,
        parent: Some(("dhcp", 124)),
        tables: true,
        options: VENDOR_CLASS_OPTIONS,
    },
    StaticSpace {
        name: "vendor",
        code_width: CodeWidth::Four,
        length_width: LengthWidth::One,
        end: 0,
        concat_duplicates: false,
        storage: Storage::Hashed,
        encoding: SpaceEncoding::Tlv,
        parent: Some(("dhcp", 125)),
        tables: true,
        options: VENDOR_OPTIONS,
    },
    StaticSpace {
        name: "isc",
        code_width: CodeWidth::Two,
        length_width: LengthWidth::Two,
        end: 0,
        concat_duplicates: false,
        storage: Storage::Linked,
        encoding: SpaceEncoding::Tlv,
        parent: Some(("vendor", 2495)),
        tables: true,
        options: ISC_OPTIONS,
    },
    StaticSpace {
        name: "agent",
        code_width: CodeWidth::One,
        length_width: LengthWidth::One,
        end: 0,
        concat_duplicates: false,
        storage: Storage::Linked,
        encoding: SpaceEncoding::Tlv,
        parent: Some(("dhcp", 82)),
        tables: true,
        options: AGENT_OPTIONS,
    },
    StaticSpace {
        name: "server",
        // ISC sets a tag size of 4 and a length size of 1 and notes they
        // are never used: this space is configuration only.
        code_width: CodeWidth::Four,
        length_width: LengthWidth::One,
        end: 0,
        concat_duplicates: false,
        storage: Storage::Hashed,
        encoding: SpaceEncoding::Config,
        parent: None,
        tables: true,
        options: SERVER_OPTIONS,
    },
    v6::DHCP6,
    v6::VSIO,
    v6::ISC6,
    v6::FQDN6,
];

/// Every built-in option with the name of its space, in table order.
pub fn all_options() -> impl Iterator<Item = (&'static StaticSpace, &'static StaticOption)> {
    SPACES
        .iter()
        .flat_map(|space| space.options.iter().map(move |option| (space, option)))
}

// The dhcp space. ISC wraps many rows in `#if defined(RFCxxxx_OPTIONS)`;
// site.h defines all of them, so all are here. Option 208 (pxelinux-magic)
// and 128-135 (pxe-undefined-N) are `#if 0` in ISC and deliberately absent.
static DHCP_OPTIONS: &[StaticOption] = &[
    opt(1, "subnet-mask", "I"),
    opt(2, "time-offset", "l"),
    opt(3, "routers", "IA"),
    opt(4, "time-servers", "IA"),
    opt(5, "ien116-name-servers", "IA"),
    opt(6, "domain-name-servers", "IA"),
    opt(7, "log-servers", "IA"),
    opt(8, "cookie-servers", "IA"),
    opt(9, "lpr-servers", "IA"),
    opt(10, "impress-servers", "IA"),
    opt(11, "resource-location-servers", "IA"),
    opt(12, "host-name", "t"),
    opt(13, "boot-size", "S"),
    opt(14, "merit-dump", "t"),
    opt(15, "domain-name", "t"),
    opt(16, "swap-server", "I"),
    opt(17, "root-path", "t"),
    opt(18, "extensions-path", "t"),
    opt(19, "ip-forwarding", "f"),
    opt(20, "non-local-source-routing", "f"),
    opt(21, "policy-filter", "IIA"),
    opt(22, "max-dgram-reassembly", "S"),
    opt(23, "default-ip-ttl", "B"),
    opt(24, "path-mtu-aging-timeout", "L"),
    opt(25, "path-mtu-plateau-table", "SA"),
    opt(26, "interface-mtu", "S"),
    opt(27, "all-subnets-local", "f"),
    opt(28, "broadcast-address", "I"),
    opt(29, "perform-mask-discovery", "f"),
    opt(30, "mask-supplier", "f"),
    opt(31, "router-discovery", "f"),
    opt(32, "router-solicitation-address", "I"),
    opt(33, "static-routes", "IIA"),
    opt(34, "trailer-encapsulation", "f"),
    opt(35, "arp-cache-timeout", "L"),
    opt(36, "ieee802-3-encapsulation", "f"),
    opt(37, "default-tcp-ttl", "B"),
    opt(38, "tcp-keepalive-interval", "L"),
    opt(39, "tcp-keepalive-garbage", "f"),
    opt(40, "nis-domain", "t"),
    opt(41, "nis-servers", "IA"),
    opt(42, "ntp-servers", "IA"),
    opt(43, "vendor-encapsulated-options", "E."),
    opt(44, "netbios-name-servers", "IA"),
    opt(45, "netbios-dd-server", "IA"),
    opt(46, "netbios-node-type", "B"),
    opt(47, "netbios-scope", "t"),
    opt(48, "font-servers", "IA"),
    opt(49, "x-display-manager", "IA"),
    opt(50, "dhcp-requested-address", "I"),
    opt(51, "dhcp-lease-time", "L"),
    opt(52, "dhcp-option-overload", "B"),
    opt(53, "dhcp-message-type", "B"),
    opt(54, "dhcp-server-identifier", "I"),
    opt(55, "dhcp-parameter-request-list", "BA"),
    opt(56, "dhcp-message", "t"),
    opt(57, "dhcp-max-message-size", "S"),
    opt(58, "dhcp-renewal-time", "L"),
    opt(59, "dhcp-rebinding-time", "L"),
    opt(60, "vendor-class-identifier", "X"),
    opt(61, "dhcp-client-identifier", "X"),
    opt(62, "nwip-domain", "t"),
    opt(63, "nwip-suboptions", "Enwip."),
    opt(64, "nisplus-domain", "t"),
    opt(65, "nisplus-servers", "IA"),
    opt(66, "tftp-server-name", "t"),
    opt(67, "bootfile-name", "t"),
    opt(68, "mobile-ip-home-agent", "IA"),
    opt(69, "smtp-server", "IA"),
    opt(70, "pop-server", "IA"),
    opt(71, "nntp-server", "IA"),
    opt(72, "www-server", "IA"),
    opt(73, "finger-server", "IA"),
    opt(74, "irc-server", "IA"),
    opt(75, "streettalk-server", "IA"),
    opt(76, "streettalk-directory-assistance-server", "IA"),
    opt(77, "user-class", "t"),
    opt(78, "slp-directory-agent", "fIa"),
    opt(79, "slp-service-scope", "fto"),
    opt(81, "fqdn", "Efqdn."),
    opt(82, "relay-agent-information", "Eagent."),
    opt(85, "nds-servers", "IA"),
    opt(86, "nds-tree-name", "t"),
    opt(87, "nds-context", "t"),
    opt(88, "bcms-controller-names", "D"),
    opt(89, "bcms-controller-address", "Ia"),
    opt(91, "client-last-transaction-time", "L"),
    opt(92, "associated-ip", "Ia"),
    opt(93, "pxe-system-type", "Sa"),
    opt(94, "pxe-interface-id", "BBB"),
    opt(97, "pxe-client-id", "BX"),
    opt(98, "uap-servers", "t"),
    opt(99, "geoconf-civic", "X"),
    opt(100, "pcode", "t"),
    opt(101, "tcode", "t"),
    opt(108, "v6-only-preferred", "L"),
    opt(112, "netinfo-server-address", "Ia"),
    opt(113, "netinfo-server-tag", "t"),
    opt(114, "default-url", "t"),
    opt(116, "auto-config", "B"),
    opt(117, "name-service-search", "Sa"),
    opt(118, "subnet-selection", "I"),
    opt(119, "domain-search", "Dc"),
    opt(124, "vivco", "Evendor-class."),
    opt(125, "vivso", "Evendor."),
    opt(136, "pana-agent", "Ia"),
    opt(137, "v4-lost", "d"),
    opt(138, "capwap-ac-v4", "Ia"),
    opt(141, "sip-ua-cs-domains", "Dc"),
    opt(142, "ipv4-address-andsf", "IA"),
    opt(146, "rdnss-selection", "BIID"),
    opt(150, "tftp-server-address", "Ia"),
    opt(159, "v4-portparams", "BBS"),
    opt(160, "v4-captive-portal", "t"),
    opt(209, "loader-configfile", "t"),
    opt(210, "loader-pathprefix", "t"),
    opt(211, "loader-reboottime", "L"),
    opt(212, "option-6rd", "BB6Ia"),
    opt(213, "v4-access-domain", "d"),
];

// NetWare/IP suboptions (option 63). The four "illegal" codes have an empty
// format: ISC knows the names but cannot parse a value for them.
static NWIP_OPTIONS: &[StaticOption] = &[
    opt(1, "illegal-1", ""),
    opt(2, "illegal-2", ""),
    opt(3, "illegal-3", ""),
    opt(4, "illegal-4", ""),
    opt(5, "nsq-broadcast", "f"),
    opt(6, "preferred-dss", "IA"),
    opt(7, "nearest-nwip-server", "IA"),
    opt(8, "autoretries", "B"),
    opt(9, "autoretry-secs", "B"),
    opt(10, "nwip-1-1", "f"),
    opt(11, "primary-dss", "I"),
];

// Client FQDN (option 81) seen as a space of fixed fields.
static FQDN_OPTIONS: &[StaticOption] = &[
    opt(1, "no-client-update", "f"),
    opt(2, "server-update", "f"),
    opt(3, "encoded", "f"),
    opt(4, "rcode1", "B"),
    opt(5, "rcode2", "B"),
    opt(6, "hostname", "t"),
    opt(7, "domainname", "t"),
    opt(8, "fqdn", "t"),
];

// RFC 3925 vendor-identified spaces: codes are enterprise numbers.
static VENDOR_CLASS_OPTIONS: &[StaticOption] = &[opt(2495, "isc", "X")];

static VENDOR_OPTIONS: &[StaticOption] = &[opt(2495, "isc", "Eisc.")];

// ISC's own vendor suboptions (vendor.isc, enterprise 2495).
static ISC_OPTIONS: &[StaticOption] = &[opt(1, "media", "t"), opt(2, "update-assist", "X")];

// Relay agent information (option 82) suboptions, from server/stables.c.
static AGENT_OPTIONS: &[StaticOption] = &[
    opt(1, "circuit-id", "X"),
    opt(2, "remote-id", "X"),
    opt(3, "agent-id", "I"),
    opt(4, "DOCSIS-device-class", "L"),
    opt(5, "link-selection", "I"),
    opt(19, "relay-port", "Z"),
];

// The config-option space: `default-lease-time 600;` is
// `option server.default-lease-time 600;` to ISC. Codes are ISC's SV_*.
static SERVER_OPTIONS: &[StaticOption] = &[
    opt(1, "default-lease-time", "T"),
    opt(2, "max-lease-time", "T"),
    opt(3, "min-lease-time", "T"),
    opt(4, "dynamic-bootp-lease-cutoff", "T"),
    opt(5, "dynamic-bootp-lease-length", "L"),
    opt(6, "boot-unknown-clients", "f"),
    opt(7, "dynamic-bootp", "f"),
    opt(8, "allow-bootp", "f"),
    opt(9, "allow-booting", "f"),
    opt(10, "one-lease-per-client", "f"),
    opt(11, "get-lease-hostnames", "f"),
    opt(12, "use-host-decl-names", "f"),
    opt(13, "use-lease-addr-for-default-route", "f"),
    opt(14, "min-secs", "B"),
    opt(15, "filename", "t"),
    opt(16, "server-name", "t"),
    opt(17, "next-server", "I"),
    opt(18, "authoritative", "f"),
    opt(19, "vendor-option-space", "U"),
    opt(20, "always-reply-rfc1048", "f"),
    opt(21, "site-option-space", "X"),
    opt(22, "always-broadcast", "f"),
    opt(23, "ddns-domainname", "t"),
    opt(24, "ddns-hostname", "t"),
    opt(25, "ddns-rev-domainname", "t"),
    opt(26, "lease-file-name", "t"),
    opt(27, "pid-file-name", "t"),
    opt(28, "duplicates", "f"),
    opt(29, "declines", "f"),
    opt(30, "ddns-updates", "f"),
    opt(31, "omapi-port", "S"),
    opt(32, "local-port", "S"),
    opt(33, "limited-broadcast-address", "I"),
    opt(34, "remote-port", "S"),
    opt(35, "local-address", "I"),
    opt(36, "omapi-key", "k"),
    opt(37, "stash-agent-options", "f"),
    opt(38, "ddns-ttl", "T"),
    opt(39, "ddns-update-style", "Nddns-styles."),
    opt(40, "client-updates", "f"),
    opt(41, "update-optimization", "f"),
    opt(42, "ping-check", "f"),
    opt(43, "update-static-leases", "f"),
    opt(44, "log-facility", "Nsyslog-facilities."),
    opt(45, "do-forward-updates", "f"),
    opt(46, "ping-timeout", "T"),
    opt(47, "infinite-is-reserved", "f"),
    opt(48, "update-conflict-detection", "f"),
    opt(49, "leasequery", "f"),
    opt(50, "adaptive-lease-time-threshold", "B"),
    opt(51, "do-reverse-updates", "f"),
    opt(52, "fqdn-reply", "f"),
    opt(53, "preferred-lifetime", "T"),
    opt(54, "dhcpv6-lease-file-name", "t"),
    opt(55, "dhcpv6-pid-file-name", "t"),
    opt(56, "limit-addrs-per-ia", "L"),
    opt(57, "limit-prefs-per-ia", "L"),
    // DELAYED_ACK is on in the packaged build.
    opt(58, "delayed-ack", "S"),
    opt(59, "max-ack-delay", "L"),
    opt(78, "dhcp-cache-threshold", "B"),
    opt(79, "dont-use-fsync", "f"),
    opt(80, "ddns-local-address4", "I"),
    opt(81, "ddns-local-address6", "6"),
    opt(82, "ignore-client-uids", "f"),
    opt(83, "log-threshold-low", "B"),
    opt(84, "log-threshold-high", "B"),
    opt(85, "echo-client-id", "f"),
    opt(86, "server-id-check", "f"),
    opt(87, "prefix-length-mode", "Nprefix_length_modes."),
    opt(88, "dhcpv6-set-tee-times", "f"),
    opt(89, "abandon-lease-time", "T"),
    opt(92, "check-secs-byte-order", "f"),
    opt(93, "ddns-dual-stack-mixed-mode", "f"),
    opt(94, "ddns-guard-id-must-match", "f"),
    opt(95, "ddns-other-guard-is-dynamic", "f"),
    opt(96, "release-on-roam", "f"),
    opt(97, "local-address6", "6"),
    opt(98, "bind-local-address6", "f"),
    opt(99, "ping-cltt-secs", "T"),
    opt(100, "ping-timeout-ms", "T"),
];
// ISC also has ldap-* (codes 60-77, 178-180) behind LDAP_CONFIGURATION and
// use-eui-64 / persist-eui-64-leases (90, 91) behind EUI_64. Neither is
// compiled into the packaged dhcpd, which rejects them as unknown options.

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_per_space() {
        for space in SPACES {
            for (i, a) in space.options.iter().enumerate() {
                for b in &space.options[i + 1..] {
                    assert_ne!(a.code, b.code, "{}: {} / {}", space.name, a.name, b.name);
                    assert!(
                        !a.name.eq_ignore_ascii_case(b.name),
                        "{}: {}",
                        space.name,
                        a.name
                    );
                }
            }
        }
        for (i, a) in SPACES.iter().enumerate() {
            for b in &SPACES[i + 1..] {
                assert!(!a.name.eq_ignore_ascii_case(b.name));
            }
        }
    }

    #[test]
    fn codes_fit_their_space_and_avoid_pad_and_end() {
        for (space, option) in all_options() {
            assert!(
                option.code <= space.code_width.max_code(),
                "{}",
                option.name
            );
            assert_ne!(option.code, 0, "{}", option.name);
            assert_ne!(option.code, space.end, "{}", option.name);
        }
    }

    #[test]
    fn parents_encapsulate_their_child_space() {
        for space in SPACES {
            let Some((parent_space, code)) = space.parent else {
                continue;
            };
            let parent = SPACES
                .iter()
                .find(|s| s.name == parent_space)
                .expect(parent_space);
            let option = parent
                .options
                .iter()
                .find(|o| o.code == code)
                .expect("parent option");
            assert_eq!(option.format, format!("E{}.", space.name), "{}", space.name);
        }
    }

    #[test]
    fn table_sizes_match_isc() {
        // Row counts of the tables as compiled into the packaged dhcpd.
        let counts: Vec<(&str, usize)> = SPACES.iter().map(|s| (s.name, s.options.len())).collect();
        assert_eq!(
            counts,
            [
                ("dhcp", 119),
                ("nwip", 11),
                ("fqdn", 8),
                ("vendor-class", 1),
                ("vendor", 1),
                ("isc", 2),
                ("agent", 6),
                ("server", 80),
                ("dhcp6", 64),
                ("vsio", 1),
                ("isc6", 4),
                (FQDN6_SHIM, 0)
            ]
        );
        assert_eq!(all_options().count(), 297);
    }
}
