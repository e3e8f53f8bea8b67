//! What the declaration grammar records in the model, and ISC's bookkeeping
//! quirks that decide later declarations (checked against `dhcpd -t` in
//! conformance/ours/decl-*).

use std::net::Ipv4Addr;
use std::rc::Rc;

use super::super::super::ast::Statement;
use super::super::super::keywords::Keyword as K;
use super::super::super::model::{Config, FixedAddresses, Permit, ScopeKind};
use super::super::super::parser::{MemLoader, Parser};
use super::super::common::AddrOrName;
use super::super::host::hex_or_string;
use super::super::option::{OptionValue, ValuePart};

/// Parses `src` as a whole file; returns the parser for inspection.
fn parse(src: &str) -> Parser<'static> {
    let loader: &'static MemLoader = Box::leak(Box::new(MemLoader(vec![])));
    let mut p = Parser::new("t.conf", Rc::from(src.as_bytes()), loader);
    p.parse_conf_file(Config::ROOT, ScopeKind::Root)
        .expect("no fatal error");
    p
}

/// Messages as their first lines.
fn messages(p: &Parser<'_>) -> Vec<String> {
    p.diagnostics.iter().map(|d| d.headline()).collect()
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

#[test]
fn hex_or_string_picks_like_isc() {
    assert_eq!(hex_or_string(b"abc", 255), "\"abc\"");
    assert_eq!(hex_or_string(&[1, 0xab], 255), "01:ab");
    assert_eq!(hex_or_string(&[0u8; 100], 255), "");
}

#[test]
fn a_lone_subnet_gets_an_implicit_shared_network_and_pool() {
    let p = parse("subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }");
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let c = &p.config;
    assert_eq!(c.shared_networks.len(), 1);
    let sn = &c.shared_networks[0];
    assert_eq!(sn.name, "10.0.0.0/24");
    assert!(sn.implicit && sn.listed);
    assert_eq!(sn.subnets, vec![0]);
    assert_eq!(
        c.subnets[0].group, sn.group,
        "the subnet and its implicit network share a scope"
    );
    assert_eq!(sn.pools.len(), 1);
    let pool = &c.pools[sn.pools[0]];
    assert!(pool.implicit);
    assert_eq!(pool.prohibits, vec![Permit::DynamicBootpClients]);
    assert_eq!(pool.ranges.len(), 1);
    assert_eq!(
        (pool.ranges[0].low, pool.ranges[0].high),
        (ip("10.0.0.10"), ip("10.0.0.20"))
    );
}

#[test]
fn sibling_subnets_are_ordered_like_isc() {
    // ISC never compares a new subnet with the last sibling, so the second
    // subnet is always appended; later ones go before a wider sibling.
    let p = parse(
        "shared-network s {
           subnet 10.0.0.0 netmask 255.255.0.0 { }
           subnet 10.5.0.0 netmask 255.255.255.0 { }
           subnet 10.0.1.0 netmask 255.255.255.0 { }
         }",
    );
    let sn = &p.config.shared_networks[0];
    assert_eq!(sn.name, "s");
    assert!(!sn.implicit && sn.listed);
    assert_eq!(sn.subnets, vec![2, 0, 1]);
    // Only the subnet entered last is checked for overlap.
    assert!(messages(&p).is_empty(), "{:?}", messages(&p));
}

#[test]
fn overlap_warnings_name_isc_prefix_lengths() {
    let p = parse("subnet 10.16.0.7 netmask 255.255.255.255 { }\nsubnet 0.0.0.0 netmask 0.0.0.0 { }\n");
    assert_eq!(
        messages(&p),
        vec!["Warning: subnet 0.0.0.0/-26 overlaps subnet 10.16.0.7/32"]
    );
    assert!(!p.file_had_errors);
}

#[test]
fn hosts_record_their_parameters_and_names_stay_taken() {
    let p = parse(
        "host a { hardware ethernet 00:11:22:33:44:55; fixed-address 10.0.0.5, ns.example.com; uid 01:02; }
         host a { deleted; }
         host a { dynamic; hardware ethernet 00:11:22:33:44:56; }
         host a { }",
    );
    assert_eq!(messages(&p), vec!["t.conf line 4: host a: already exists"]);
    let hosts = &p.config.hosts;
    assert_eq!(hosts.len(), 2);
    assert!(hosts[0].deleted);
    assert_eq!(
        hosts[0].hardware.as_ref().unwrap().addr,
        vec![0, 0x11, 0x22, 0x33, 0x44, 0x55]
    );
    assert_eq!(
        hosts[0].fixed_addresses,
        Some(FixedAddresses::V4(vec![
            AddrOrName::Addr(ip("10.0.0.5")),
            AddrOrName::Name("ns.example.com".into())
        ]))
    );
    assert_eq!(hosts[0].uid, Some(vec![1, 2]));
    assert!(!hosts[1].deleted && hosts[1].dynamic);
}

#[test]
fn named_groups_lose_their_name_when_declared_again() {
    let p = parse(
        "group g { } host a { group g; }
         group g { } host b { group g; }
         group g { } host c { group g; }",
    );
    assert_eq!(messages(&p), vec!["t.conf line 2: unknown group g in host b"]);
    let hosts = &p.config.hosts;
    assert_eq!(hosts[0].named_group, Some(0));
    assert_eq!(hosts[1].named_group, None);
    assert_eq!(hosts[2].named_group, Some(2), "the third group has the name");
    assert_eq!(p.config.named_groups.len(), 3);
}

#[test]
fn classes_subclasses_and_lookup() {
    let p = parse(
        r#"class "c" { lease limit 4; }
           subclass "c" "x";
           subclass "c" 01:02 { }
           subclass "c" "x" { }
           vendor-class "c" { }
           class "d" { }
           class "d" { deleted; }"#,
    );
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let classes = &p.config.classes;
    assert_eq!(classes[0].name.as_deref(), Some("c"));
    assert_eq!(classes[1].superclass, Some(0));
    assert_eq!(classes[1].hash_string.as_deref(), Some(&b"x"[..]));
    assert_eq!(
        classes[1].lease_limit,
        Some(4),
        "a subclass starts with its class's limit"
    );
    assert_eq!(classes[2].hash_string.as_deref(), Some(&[1u8, 2][..]));
    assert_eq!(classes.len(), 5, "the second \"x\" reopens the first subclass");
    assert_eq!(classes[3].name.as_deref(), Some("implicit-vendor-class"));
    assert_eq!(p.find_class("c"), Some(0));
    assert_eq!(p.find_class("d"), None, "deleted");
    assert_eq!(
        p.find_class("implicit-vendor-class"),
        None,
        "only class declarations are found"
    );
}

#[test]
fn pool_permits_after_times_and_merging() {
    let p = parse(
        r#"class "v" { }
           subnet 10.4.0.0 netmask 255.255.255.0 {
             pool { range 10.4.0.10 10.4.0.19; allow members of "v"; deny unknown clients; allow after never; }
             pool { range 10.4.0.20 10.4.0.29; allow members of "v"; deny unknown-clients; allow after epoch 5; }
             pool { range 10.4.0.30 10.4.0.39; deny members of "v"; }
           }"#,
    );
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let pools = &p.config.pools;
    assert_eq!(
        pools[0].permits,
        vec![Permit::Class(Some(0)), Permit::After(0x7fff_ffff)]
    );
    assert_eq!(pools[0].prohibits, vec![Permit::UnknownClients]);
    assert_eq!(pools[0].valid_from, Some(0x7fff_ffff));
    // The second pool's permits match the first's (times are not compared).
    assert_eq!(pools[1].merged_into, Some(0));
    assert_eq!(pools[2].merged_into, None);
    assert_eq!(p.config.shared_networks[0].pools, vec![0, 2]);
}

#[test]
fn a_range_outside_pools_goes_to_the_pool_before_the_matching_one() {
    let p = parse(
        "subnet 10.7.0.0 netmask 255.255.255.0 {
           pool { range 10.7.0.10 10.7.0.20; }
           range dynamic-bootp 10.7.0.30 10.7.0.40;
           range dynamic-bootp 10.7.0.50 10.7.0.60;
         }",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let pools = &p.config.pools;
    assert_eq!(pools.len(), 2);
    assert!(pools[1].implicit);
    assert_eq!(pools[1].permits, vec![Permit::AllClients]);
    assert_eq!(pools[1].ranges.len(), 1);
    assert_eq!(pools[0].ranges.len(), 2, "ISC's off-by-one picks the explicit pool");
}

#[test]
fn addresses_declared_twice_are_reported_each() {
    let p = parse(
        "subnet 10.1.0.0 netmask 255.255.255.0 {
           range 10.1.0.10 10.1.0.12;
           pool { range 10.1.0.12 10.1.0.11; range 10.1.0.9; }
         }",
    );
    let m = messages(&p);
    assert_eq!(
        m,
        vec![
            "t.conf line 3: lease 10.1.0.11 is declared twice!",
            "t.conf line 3: lease 10.1.0.12 is declared twice!"
        ]
    );
}

#[test]
fn a_range_outside_its_subnet_is_fatal() {
    let loader = MemLoader(vec![]);
    let src = "subnet 10.1.0.0 netmask 255.255.255.0 { range 10.1.0.10 10.1.1.1; }";
    let mut p = Parser::new("t.conf", Rc::from(src.as_bytes()), &loader);
    let err = p.parse_conf_file(Config::ROOT, ScopeKind::Root).unwrap_err();
    assert_eq!(
        err.0,
        "bad range, address 10.1.1.1 not in subnet 10.1.0.0 netmask 255.255.255.0"
    );
}

#[test]
fn keys_and_zones() {
    let loader = MemLoader(vec![]);
    let src = r#"k { algorithm hmac-md5; secret "c2VjcmV0"; };
                 example.com { primary 10.0.0.1, ns.example.com; key k; }"#;
    let mut p = Parser::new("t.conf", Rc::from(src.as_bytes()), &loader);
    assert!(p.parse_key_declaration().unwrap());
    assert!(p.parse_zone_declaration().unwrap());
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let key = &p.config.keys[0];
    assert_eq!(
        (key.name.as_str(), key.algorithm.as_str()),
        ("k", "hmac-md5.SIG-ALG.REG.INT.")
    );
    assert_eq!(key.secret, b"secret");
    let zone = &p.config.zones[0];
    assert_eq!(zone.name, "example.com.");
    assert_eq!(zone.primary.len(), 2);
    assert_eq!(zone.key.as_deref(), Some("k"));

    // ISC crashes on a key without an algorithm; we refuse it.
    let mut p = Parser::new("t.conf", Rc::from(&b"k3 { secret \"c2VjcmV0\"; }"[..]), &loader);
    assert!(!p.parse_key_declaration().unwrap());
    assert_eq!(messages(&p), vec!["t.conf line 1: key k3: no algorithm specified"]);
}

#[test]
fn allow_deny_ignore_set_server_flags() {
    let loader = MemLoader(vec![]);
    let mut p = Parser::new("t.conf", Rc::from(&b"booting; known-clients;"[..]), &loader);
    let Some(Statement::Option(st)) = p.parse_allow_deny(K::Ignore).unwrap() else {
        panic!("a statement")
    };
    assert_eq!(
        (st.option.space.as_str(), st.option.name.as_str()),
        ("server", "allow-booting")
    );
    assert_eq!(st.value, OptionValue::Data(vec![ValuePart::Bytes(vec![2])]));
    assert_eq!(p.parse_allow_deny(K::Allow).unwrap(), None);
    assert_eq!(messages(&p), vec!["t.conf line 1: expecting allow/deny key"]);
}

#[test]
fn dhcpv6_declarations_in_dhcpv4_mode() {
    let p = parse(
        "subnet6 2001:db8::/64 { }
         subnet 10.9.0.0 netmask 255.255.255.0 { range6 2001:db8::1 2001:db8::2; }
         host h { fixed-prefix6 2001:db8::/48; fixed-address6 2001:db8::5; }",
    );
    assert_eq!(
        messages(&p),
        vec![
            "t.conf line 1: subnet6 statement is only supported in DHCPv6 mode.",
            "t.conf line 2: range6 statement is only supported in DHCPv6 mode.",
        ]
    );
    let h = &p.config.hosts[0];
    assert_eq!(h.fixed_prefixes6, vec![("2001:db8::".parse().unwrap(), 48)]);
    assert_eq!(
        h.fixed_addresses,
        Some(FixedAddresses::V6(vec!["2001:db8::5".parse().unwrap()]))
    );
}
