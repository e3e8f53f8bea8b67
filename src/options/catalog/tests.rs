//! Catalog behaviour, each case checked against `dhcpd -t` 4.4.3.

use super::*;
use crate::options::format::{Element, IntWidth};

fn id(catalog: &OptionCatalog, space: SpaceId, name: &str) -> OptionId {
    catalog
        .by_name(space, name)
        .unwrap_or_else(|| panic!("{name}"))
}

fn format(s: &str) -> OptionFormat {
    OptionFormat::parse(s).unwrap()
}

#[test]
fn builtin_space_ids_match_their_names() {
    let c = OptionCatalog::isc();
    let expected = [
        (SpaceId::DHCP, "dhcp"),
        (SpaceId::NWIP, "nwip"),
        (SpaceId::FQDN, "fqdn"),
        (SpaceId::VENDOR_CLASS, "vendor-class"),
        (SpaceId::VENDOR, "vendor"),
        (SpaceId::ISC, "isc"),
        (SpaceId::AGENT, "agent"),
        (SpaceId::SERVER, "server"),
        (SpaceId::DHCP6, "dhcp6"),
        (SpaceId::VSIO, "vsio"),
        (SpaceId::ISC6, "isc6"),
        (SpaceId::FQDN6, table::FQDN6_SHIM),
    ];
    for (space, name) in expected {
        assert_eq!(c.space_id(name), Some(space));
        assert_eq!(c.space(space).map(|s| s.name.as_str()), Some(name));
    }
    assert_eq!(c.spaces().count(), expected.len());
    assert_eq!(c.options().count(), table::all_options().count());
}

#[test]
fn lookups_ignore_ascii_case_and_keep_the_written_name() {
    let c = OptionCatalog::isc();
    let routers = id(&c, SpaceId::DHCP, "ROUTERS");
    assert_eq!(c.by_code(SpaceId::DHCP, 3), Some(routers));
    assert_eq!(c.space_id("Agent"), Some(SpaceId::AGENT));
    let docsis = c.find("AGENT", "docsis-device-class").unwrap();
    assert_eq!(
        (docsis.code, docsis.name.as_str()),
        (4, "DOCSIS-device-class")
    );
    assert_eq!(
        c.find("server", "default-lease-time")
            .unwrap()
            .format
            .as_str(),
        "T"
    );
    assert_eq!(c.code_name(SpaceId::AGENT, 19), "relay-port");
    assert_eq!(c.code_name(SpaceId::DHCP, 80), "unknown-80");
    assert!(c.find("nosuch", "routers").is_none());
    assert!(c.space(SpaceId(99)).is_none());
}

#[test]
fn builtin_subspaces_know_their_carrier() {
    let c = OptionCatalog::isc();
    let carrier = |space: SpaceId| {
        let option = c
            .space(space)
            .unwrap()
            .encapsulated_by
            .and_then(|o| c.option(o))
            .unwrap();
        (c.space(option.space).unwrap().name.as_str(), option.code)
    };
    assert_eq!(carrier(SpaceId::AGENT), ("dhcp", 82));
    assert_eq!(carrier(SpaceId::NWIP), ("dhcp", 63));
    assert_eq!(carrier(SpaceId::FQDN), ("dhcp", 81));
    assert_eq!(carrier(SpaceId::VENDOR_CLASS), ("dhcp", 124));
    assert_eq!(carrier(SpaceId::VENDOR), ("dhcp", 125));
    assert_eq!(carrier(SpaceId::ISC), ("vendor", 2495));
    assert_eq!(c.space(SpaceId::SERVER).unwrap().encapsulated_by, None);
    assert_eq!(c.space(SpaceId::DHCP).unwrap().end, 255);
    assert!(c.space(SpaceId::DHCP).unwrap().concat_duplicates);
}

#[test]
fn resolve_follows_parse_option_name() {
    let c = OptionCatalog::isc();
    let routers = id(&c, SpaceId::DHCP, "routers");
    assert_eq!(c.resolve(None, "Routers"), Ok(Resolved::Defined(routers)));
    let circuit = id(&c, SpaceId::AGENT, "circuit-id");
    assert_eq!(
        c.resolve(Some("Agent"), "Circuit-ID"),
        Ok(Resolved::Defined(circuit))
    );

    // "option unknown-3 has been redefined as option routers."
    assert_eq!(c.resolve(None, "unknown-3"), Ok(Resolved::Renamed(routers)));
    let host_name = id(&c, SpaceId::DHCP, "host-name");
    assert_eq!(
        c.resolve(None, "Unknown-12"),
        Ok(Resolved::Renamed(host_name))
    );
    assert_eq!(
        c.resolve(None, "unknown-200"),
        Ok(Resolved::Unknown {
            space: SpaceId::DHCP,
            code: 200
        })
    );
    assert_eq!(
        c.resolve(None, "unknown-4294967295"),
        Ok(Resolved::Unknown {
            space: SpaceId::DHCP,
            code: u32::MAX
        })
    );

    let illegal = |space, name| c.resolve(space, name).unwrap_err().to_string();
    assert_eq!(
        illegal(None, "unknown-0"),
        "Option codes 0 and 255 are illegal in the dhcp space."
    );
    assert_eq!(
        illegal(None, "unknown-255"),
        "Option codes 0 and 255 are illegal in the dhcp space."
    );
    assert_eq!(
        illegal(None, "unknown-"),
        "Option codes 0 and 255 are illegal in the dhcp space."
    );
    assert_eq!(
        illegal(Some("agent"), "unknown-0"),
        "Option codes 0 and 0 are illegal in the agent space."
    );
    assert_eq!(illegal(Some("foo"), "bar"), "no option space named foo.");
    assert_eq!(
        illegal(None, "no-such-option"),
        "no option named no-such-option in space dhcp"
    );
    assert!(c.resolve(Some("agent"), "unknown-255").is_ok());
}

#[test]
fn atoi_behaves_like_glibc() {
    assert_eq!(atoi("42"), 42);
    assert_eq!(atoi("12abc"), 12);
    assert_eq!(atoi("abc"), 0);
    assert_eq!(atoi(""), 0);
    assert_eq!(atoi("  +7"), 7);
    assert_eq!(atoi("-1"), u32::MAX);
    assert_eq!(atoi("4294967296"), 0);
    assert_eq!(atoi("99999999999"), 99_999_999_999_i64 as i32 as u32);
    // strtol saturates at LONG_MAX, whose low 32 bits are all ones.
    assert_eq!(atoi("99999999999999999999999"), u32::MAX);
}

#[test]
fn declared_spaces_get_isc_defaults_and_hide_older_ones() {
    let mut c = OptionCatalog::isc();
    let old = c.define_space(SpaceDecl::new("foo"));
    let bar = c.define_option(old, "bar", 1, format("t")).unwrap();
    let space = c.space(old).unwrap();
    assert_eq!(
        (space.code_width, space.length_width, space.end),
        (CodeWidth::One, LengthWidth::One, 0)
    );
    assert_eq!(
        (space.storage, space.encoding, space.origin),
        (Storage::Hashed, SpaceEncoding::Tlv, Origin::User)
    );

    // `option space FOO;` again: a new empty space under that name.
    let new = c.define_space(SpaceDecl {
        name: "FOO".into(),
        code_width: CodeWidth::Two,
        length_width: LengthWidth::Two,
    });
    assert_ne!(old, new);
    assert_eq!(c.space_id("foo"), Some(new));
    assert!(c.find("foo", "bar").is_none());
    assert_eq!(c.by_name(old, "bar"), Some(bar));
    assert_eq!(c.space(new).unwrap().code_width.bytes(), 2);
}

#[test]
fn definitions_extend_spaces_and_link_encapsulation() {
    // option space local; option local.demo code 1 = text;
    // option local-encapsulation code 197 = encapsulate local;
    let mut c = OptionCatalog::isc();
    let local = c.define_space(SpaceDecl::new("local"));
    let demo = c.define_option(local, "demo", 1, format("t")).unwrap();
    let carrier = c
        .define_option(SpaceId::DHCP, "local-encapsulation", 197, format("Elocal."))
        .unwrap();
    assert_eq!(c.by_code(local, 1), Some(demo));
    assert_eq!(
        c.resolve(None, "local-encapsulation"),
        Ok(Resolved::Defined(carrier))
    );
    assert_eq!(c.space(local).unwrap().encapsulated_by, Some(carrier));
    assert_eq!(c.option(carrier).unwrap().origin, Origin::User);

    // The space name in `encapsulate` is matched without case, too.
    assert!(c
        .define_option(SpaceId::DHCP, "x", 198, format("ELOCAL."))
        .is_ok());
    let missing = c.define_option(SpaceId::DHCP, "y", 199, format("Enosuch."));
    assert_eq!(
        missing.unwrap_err().to_string(),
        "unknown option space nosuch"
    );
    assert_eq!(c.by_code(SpaceId::DHCP, 199), None);
    assert!(matches!(
        c.define_option(SpaceId(1000), "z", 1, format("t")),
        Err(DefineError::NoSuchSpaceId(_))
    ));
}

#[test]
fn redefining_a_known_name_edits_that_option() {
    // option domain-name code 15 = ip-address;
    let mut c = OptionCatalog::isc();
    let before = id(&c, SpaceId::DHCP, "domain-name");
    let after = c
        .define_option(SpaceId::DHCP, "DOMAIN-NAME", 15, format("I"))
        .unwrap();
    assert_eq!(before, after);
    let def = c.option(after).unwrap();
    assert_eq!(
        (def.name.as_str(), def.format.as_str(), def.origin),
        ("domain-name", "I", Origin::User)
    );
    assert_eq!(c.resolve(None, "unknown-15"), Ok(Resolved::Renamed(after)));

    // option routers code 200 = ip-address; leaves code 3 undefined.
    let routers = c
        .define_option(SpaceId::DHCP, "routers", 200, format("I"))
        .unwrap();
    assert_eq!(c.by_code(SpaceId::DHCP, 3), None);
    assert_eq!(c.by_code(SpaceId::DHCP, 200), Some(routers));
    assert_eq!(
        c.resolve(None, "unknown-3"),
        Ok(Resolved::Unknown {
            space: SpaceId::DHCP,
            code: 3
        })
    );
}

#[test]
fn taking_over_a_code_keeps_the_old_name() {
    let mut c = OptionCatalog::isc();
    let a = c
        .define_option(SpaceId::DHCP, "a", 250, format("t"))
        .unwrap();
    let b = c
        .define_option(SpaceId::DHCP, "b", 250, format("I"))
        .unwrap();
    assert_eq!(c.by_name(SpaceId::DHCP, "a"), Some(a));
    assert_eq!(c.option(a).unwrap().code, 250);
    assert_eq!(c.by_code(SpaceId::DHCP, 250), Some(b));
    assert_eq!(c.resolve(None, "unknown-250"), Ok(Resolved::Renamed(b)));

    // Moving `a` drops code 250 altogether, though `b` held it (ISC does).
    c.define_option(SpaceId::DHCP, "a", 251, format("t"))
        .unwrap();
    assert_eq!(c.by_code(SpaceId::DHCP, 250), None);
    assert_eq!(c.by_code(SpaceId::DHCP, 251), Some(a));
    assert_eq!(c.by_name(SpaceId::DHCP, "b"), Some(b));
}

#[test]
fn codes_are_not_checked_against_the_width() {
    // `option foo code 300 = text;` passes `dhcpd -t`.
    let mut c = OptionCatalog::isc();
    let foo = c
        .define_option(SpaceId::DHCP, "foo", 300, format("t"))
        .unwrap();
    assert_eq!(c.by_code(SpaceId::DHCP, 300), Some(foo));
}

#[test]
fn classless_routes_are_a_user_definition() {
    // ISC 4.4 has no option 121; configs define it, usually like this.
    let mut c = OptionCatalog::isc();
    assert_eq!(c.by_code(SpaceId::DHCP, 121), None);
    let u8_array = OptionFormat::from_parts(
        vec![Element {
            atom: crate::options::Atom::Int {
                width: IntWidth::W8,
                signed: false,
            },
            optional: false,
            repeated: true,
        }],
        false,
    )
    .unwrap();
    let id = c
        .define_option(
            SpaceId::DHCP,
            "rfc3442-classless-static-routes",
            121,
            u8_array,
        )
        .unwrap();
    assert_eq!(c.option(id).unwrap().format.as_str(), "Ba");
    assert_eq!(c.resolve(None, "unknown-121"), Ok(Resolved::Renamed(id)));
}

#[test]
fn dhcpv6_spaces_are_config_only() {
    let c = OptionCatalog::isc();
    for (id, space) in c.spaces() {
        let v6 = id >= SpaceId::DHCP6;
        assert_eq!(space.encoding == SpaceEncoding::Dhcpv6, v6, "{}", space.name);
        assert_eq!(
            space.encoding.is_dhcpv4_wire(),
            !v6 && id != SpaceId::SERVER,
            "{}",
            space.name
        );
    }
    // `dhcpd -4` resolves these (checked with `option dhcp6.unknown-N`).
    let ns = c.find("dhcp6", "name-servers").unwrap();
    assert_eq!((ns.code, ns.format.as_str()), (23, "6A"));
    assert_eq!(c.code_name(SpaceId::DHCP6, 143), "ipv6-address-andsf");
    assert_eq!(c.code_name(SpaceId::ISC6, 60001), "4o6-source-address");
    let carrier = |s: SpaceId| {
        let def = c.option(c.space(s).unwrap().encapsulated_by.unwrap()).unwrap();
        (def.space, def.code)
    };
    assert_eq!(carrier(SpaceId::VSIO), (SpaceId::DHCP6, 17));
    assert_eq!(carrier(SpaceId::ISC6), (SpaceId::VSIO, 2495));
    assert_eq!(carrier(SpaceId::FQDN6), (SpaceId::DHCP6, 39));
}

#[test]
fn the_fqdn6_shim_has_no_tables() {
    // ISC: `option fqdn6-...-bug.foo code 5 = text;` is accepted and then
    // `option fqdn6-...-bug.foo "x";` is "unknown option"; unknown-N works.
    let mut c = OptionCatalog::isc();
    let shim = c.space_id(table::FQDN6_SHIM).unwrap();
    let id = c.define_option(shim, "foo", 5, format("t")).unwrap();
    assert!(c.option(id).is_some());
    assert_eq!(c.by_name(shim, "foo"), None);
    assert_eq!(c.by_code(shim, 5), None);
    assert_eq!(
        c.resolve(Some(table::FQDN6_SHIM), "unknown-5"),
        Ok(Resolved::Unknown { space: shim, code: 5 })
    );
}

#[test]
fn forget_then_redefine_keeps_the_definition() {
    // `option routers code 77 = text;`: ISC deletes `routers` and code 3,
    // then edits the same option.
    let mut c = OptionCatalog::isc();
    let routers = id(&c, SpaceId::DHCP, "routers");
    c.forget(SpaceId::DHCP, "routers", 3);
    assert_eq!(c.by_name(SpaceId::DHCP, "routers"), None);
    assert_eq!(c.by_code(SpaceId::DHCP, 3), None);
    // Taking over code 15 (domain-name) leaves domain-name's name entry.
    let domain_name = id(&c, SpaceId::DHCP, "domain-name");
    assert_eq!(c.redefine(routers, 15, format("t")), Ok(routers));
    assert_eq!(c.by_name(SpaceId::DHCP, "routers"), Some(routers));
    assert_eq!(c.by_code(SpaceId::DHCP, 15), Some(routers));
    assert_eq!(c.by_name(SpaceId::DHCP, "domain-name"), Some(domain_name));
    assert_eq!(c.option(routers).unwrap().code, 15);
    // Forgetting by key drops whatever holds the key.
    c.forget(SpaceId::DHCP, "domain-name", 15);
    assert_eq!(c.by_code(SpaceId::DHCP, 15), None);
    assert_eq!(c.by_name(SpaceId::DHCP, "routers"), Some(routers));
}
