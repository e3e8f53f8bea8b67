//! Cross-checks of the option table against ISC's documentation.
//!
//! `man 5 dhcp-options` (isc-dhcp-common 4.4.3) documents the DHCPv4
//! options below; every one must be defined with the shape the page gives.
//! Where the page and ISC's tables disagree, the tables win (they are what
//! dhcpd runs): the page calls `host-name`, `nds-context` and friends
//! `string` though they are `t` (text), `nwip.nwip-1-1` `uint8` though it is a
//! flag, `fqdn.rcode1/2` flags though they are `uint8`, and
//! `rdnss-selection`'s last field a domain-name though it is a domain list.

use super::format::{Atom, Element, EncapsulatedSpace, IntWidth};
use super::OptionCatalog;

/// Every DHCPv4 option name documented in dhcp-options(5), as printed.
const DOCUMENTED: &[&str] = &[
    "agent.DOCSIS-device-class",
    "agent.circuit-id",
    "agent.link-selection",
    "agent.remote-id",
    "all-subnets-local",
    "arp-cache-timeout",
    "associated-ip",
    "bcms-controller-address",
    "bcms-controller-names",
    "boot-size",
    "bootfile-name",
    "broadcast-address",
    "capwap-ac-v4",
    "client-last-transaction-time",
    "cookie-servers",
    "default-ip-ttl",
    "default-tcp-ttl",
    "default-url",
    "dhcp-client-identifier",
    "dhcp-lease-time",
    "dhcp-max-message-size",
    "dhcp-message",
    "dhcp-message-type",
    "dhcp-option-overload",
    "dhcp-parameter-request-list",
    "dhcp-rebinding-time",
    "dhcp-renewal-time",
    "dhcp-requested-address",
    "dhcp-server-identifier",
    "domain-name",
    "domain-name-servers",
    "domain-search",
    "extensions-path",
    "finger-server",
    "font-servers",
    "fqdn.domainname",
    "fqdn.encoded",
    "fqdn.fqdn",
    "fqdn.hostname",
    "fqdn.no-client-update",
    "fqdn.rcode1",
    "fqdn.rcode2",
    "fqdn.server-update",
    "geoconf-civic",
    "host-name",
    "ieee802-3-encapsulation",
    "ien116-name-servers",
    "impress-servers",
    "interface-mtu",
    "ip-forwarding",
    "irc-server",
    "loader-configfile",
    "loader-pathprefix",
    "loader-reboottime",
    "log-servers",
    "lpr-servers",
    "mask-supplier",
    "max-dgram-reassembly",
    "merit-dump",
    "mobile-ip-home-agent",
    "name-service-search",
    "nds-context",
    "nds-servers",
    "nds-tree-name",
    "netbios-dd-server",
    "netbios-name-servers",
    "netbios-node-type",
    "netbios-scope",
    "netinfo-server-address",
    "netinfo-server-tag",
    "nis-domain",
    "nis-servers",
    "nisplus-domain",
    "nisplus-servers",
    "nntp-server",
    "non-local-source-routing",
    "ntp-servers",
    "nwip-domain",
    "nwip-suboptions",
    "nwip.autoretries",
    "nwip.autoretry-secs",
    "nwip.nearest-nwip-server",
    "nwip.nsq-broadcast",
    "nwip.nwip-1-1",
    "nwip.preferred-dss",
    "nwip.primary-dss",
    "option-6rd",
    "pana-agent",
    "path-mtu-aging-timeout",
    "path-mtu-plateau-table",
    "pcode",
    "perform-mask-discovery",
    "policy-filter",
    "pop-server",
    "pxe-client-id",
    "pxe-interface-id",
    "pxe-system-type",
    "rdnss-selection",
    "resource-location-servers",
    "root-path",
    "router-discovery",
    "router-solicitation-address",
    "routers",
    "slp-directory-agent",
    "slp-service-scope",
    "smtp-server",
    "static-routes",
    "streettalk-directory-assistance-server",
    "streettalk-server",
    "subnet-mask",
    "subnet-selection",
    "swap-server",
    "tcode",
    "tcp-keepalive-garbage",
    "tcp-keepalive-interval",
    "tftp-server-address",
    "tftp-server-name",
    "time-offset",
    "time-servers",
    "trailer-encapsulation",
    "uap-servers",
    "user-class",
    "v4-access-domain",
    "v4-lost",
    "v6-only-preferred",
    "vendor-class-identifier",
    "vendor-encapsulated-options",
    "vivso",
    "www-server",
    "x-display-manager",
];

#[test]
fn every_documented_option_is_defined() {
    let catalog = OptionCatalog::isc();
    assert_eq!(DOCUMENTED.len(), 130);
    for qualified in DOCUMENTED {
        let (space, name) = qualified.split_once('.').unwrap_or(("dhcp", qualified));
        assert!(catalog.find(space, name).is_some(), "{qualified}");
    }
}

fn one(atom: Atom) -> Element {
    Element {
        atom,
        optional: false,
        repeated: false,
    }
}

fn many(atom: Atom) -> Element {
    Element {
        atom,
        optional: false,
        repeated: true,
    }
}

fn int(width: IntWidth, signed: bool) -> Atom {
    Atom::Int { width, signed }
}

/// Checks one option: its code, its elements and whether the record
/// repeats (`A`), all written out from the man page's wording.
fn check(space: &str, name: &str, code: u32, elements: &[Element], record_array: bool) {
    let catalog = OptionCatalog::isc();
    let def = catalog
        .find(space, name)
        .unwrap_or_else(|| panic!("{space}.{name}"));
    assert_eq!(def.code, code, "{name}");
    assert_eq!(def.format.elements(), elements, "{name}");
    assert_eq!(def.format.is_record_array(), record_array, "{name}");
}

#[test]
fn documented_shapes_match() {
    // option routers ip-address [, ip-address... ];
    check("dhcp", "routers", 3, &[one(Atom::Ip4)], true);
    // option subnet-mask ip-address;
    check("dhcp", "subnet-mask", 1, &[one(Atom::Ip4)], false);
    // option time-offset int32;
    check(
        "dhcp",
        "time-offset",
        2,
        &[one(int(IntWidth::W32, true))],
        false,
    );
    // option interface-mtu uint16;
    check(
        "dhcp",
        "interface-mtu",
        26,
        &[one(int(IntWidth::W16, false))],
        false,
    );
    // option default-ip-ttl uint8;
    check(
        "dhcp",
        "default-ip-ttl",
        23,
        &[one(int(IntWidth::W8, false))],
        false,
    );
    // option dhcp-lease-time uint32;
    check(
        "dhcp",
        "dhcp-lease-time",
        51,
        &[one(int(IntWidth::W32, false))],
        false,
    );
    // option ip-forwarding flag;
    check("dhcp", "ip-forwarding", 19, &[one(Atom::Bool)], false);
    // option root-path text;
    check("dhcp", "root-path", 17, &[one(Atom::Text)], false);
    // option dhcp-client-identifier string;
    check(
        "dhcp",
        "dhcp-client-identifier",
        61,
        &[one(Atom::Data)],
        false,
    );
    // option domain-search domain-list; (sent with compression pointers)
    check(
        "dhcp",
        "domain-search",
        119,
        &[one(Atom::DomainList { compressed: true })],
        false,
    );
    // option bcms-controller-names domain-list; (ISC assumes no compression)
    check(
        "dhcp",
        "bcms-controller-names",
        88,
        &[one(Atom::DomainList { compressed: false })],
        false,
    );
    // option v4-lost domain-name;
    check("dhcp", "v4-lost", 137, &[one(Atom::DomainName)], false);
    // option static-routes ip-address ip-address [, ip-address ip-address...];
    check(
        "dhcp",
        "static-routes",
        33,
        &[one(Atom::Ip4), one(Atom::Ip4)],
        true,
    );
    // option slp-directory-agent boolean ip-address [, ip-address... ];
    check(
        "dhcp",
        "slp-directory-agent",
        78,
        &[one(Atom::Bool), many(Atom::Ip4)],
        false,
    );
    // option slp-service-scope boolean text;  (the text may be left out)
    let optional_text = Element {
        atom: Atom::Text,
        optional: true,
        repeated: false,
    };
    check(
        "dhcp",
        "slp-service-scope",
        79,
        &[one(Atom::Bool), optional_text],
        false,
    );
    // option pxe-client-id uint8 string;
    check(
        "dhcp",
        "pxe-client-id",
        97,
        &[one(int(IntWidth::W8, false)), one(Atom::Data)],
        false,
    );
    // option option-6rd uint8 uint8 ip6-address ip-address [, ip-address ...];
    let u8 = || one(int(IntWidth::W8, false));
    check(
        "dhcp",
        "option-6rd",
        212,
        &[u8(), u8(), one(Atom::Ip6), many(Atom::Ip4)],
        false,
    );
    // option vendor-encapsulated-options string; (the vendor-option-space's options)
    check(
        "dhcp",
        "vendor-encapsulated-options",
        43,
        &[one(Atom::Encapsulate(EncapsulatedSpace::Vendor))],
        false,
    );
    // option agent.circuit-id string; / option agent.link-selection ip-address;
    check("agent", "circuit-id", 1, &[one(Atom::Data)], false);
    check("agent", "link-selection", 5, &[one(Atom::Ip4)], false);
    // option agent.DOCSIS-device-class uint32;
    check(
        "agent",
        "DOCSIS-device-class",
        4,
        &[one(int(IntWidth::W32, false))],
        false,
    );
    // option fqdn.no-client-update flag;
    check("fqdn", "no-client-update", 1, &[one(Atom::Bool)], false);
    // option nwip.preferred-dss ip-address [, ip-address... ];
    check("nwip", "preferred-dss", 6, &[one(Atom::Ip4)], true);
}

#[test]
fn server_parameters_have_isc_types() {
    // dhcpd.conf(5): default-lease-time takes seconds or "infinite".
    check(
        "server",
        "default-lease-time",
        1,
        &[one(Atom::LeaseTime)],
        false,
    );
    check(
        "server",
        "ddns-update-style",
        39,
        &[one(Atom::Enumeration("ddns-styles".into()))],
        false,
    );
    check(
        "server",
        "log-facility",
        44,
        &[one(Atom::Enumeration("syslog-facilities".into()))],
        false,
    );
    check(
        "server",
        "vendor-option-space",
        19,
        &[one(Atom::SpaceName)],
        false,
    );
    check("server", "omapi-key", 36, &[one(Atom::KeyName)], false);
    check("server", "local-address6", 97, &[one(Atom::Ip6)], false);
    check("agent", "relay-port", 19, &[one(Atom::ZeroLength)], false);
}
