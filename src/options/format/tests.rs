//! Format-string parsing, checked on every built-in format and on the
//! shapes ISC's option definitions produce.

use super::*;

fn el(atom: Atom) -> Element {
    Element {
        atom,
        optional: false,
        repeated: false,
    }
}

fn fmt(s: &str) -> OptionFormat {
    OptionFormat::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn err(s: &str) -> (usize, FormatErrorKind) {
    let e = OptionFormat::parse(s).expect_err(s);
    (e.offset, e.kind)
}

const U8: Atom = Atom::Int {
    width: IntWidth::W8,
    signed: false,
};

#[test]
fn every_builtin_format_parses_and_renders_back() {
    for (space, option) in super::super::table::all_options() {
        let parsed = OptionFormat::parse(option.format)
            .unwrap_or_else(|e| panic!("{}.{}: {e}", space.name, option.name));
        let again = render(
            parsed.encapsulation_hint,
            &parsed.elements,
            parsed.record_array,
        );
        assert_eq!(again, option.format, "{}.{}", space.name, option.name);
        for element in parsed.elements() {
            if let Atom::Enumeration(name) = &element.atom {
                assert!(
                    enums::find(name).is_some(),
                    "{}: enumeration {name}",
                    option.name
                );
            }
        }
    }
}

#[test]
fn arrays_of_records_and_of_last_atom() {
    let routers = fmt("IA");
    assert_eq!(routers.elements(), &[el(Atom::Ip4)]);
    assert!(routers.is_record_array() && routers.is_array());

    let slp = fmt("fIa");
    assert_eq!(
        slp.elements(),
        &[
            el(Atom::Bool),
            Element {
                atom: Atom::Ip4,
                optional: false,
                repeated: true
            }
        ]
    );
    assert!(!slp.is_record_array() && slp.is_array());

    let six_rd = fmt("BB6Ia");
    assert_eq!(six_rd.elements().len(), 4);
    assert!(six_rd.elements()[3].repeated && !six_rd.elements()[2].repeated);

    let policy = fmt("IIA");
    assert_eq!(policy.elements(), &[el(Atom::Ip4), el(Atom::Ip4)]);
    assert!(policy.is_record_array());
}

#[test]
fn optional_domain_and_named_atoms() {
    let scope = fmt("fto");
    assert_eq!(
        scope.elements(),
        &[
            el(Atom::Bool),
            Element {
                atom: Atom::Text,
                optional: true,
                repeated: false
            }
        ]
    );
    assert_eq!(
        fmt("Dc").elements(),
        &[el(Atom::DomainList { compressed: true })]
    );
    assert_eq!(
        fmt("D").elements(),
        &[el(Atom::DomainList { compressed: false })]
    );
    assert_eq!(fmt("d").elements(), &[el(Atom::DomainName)]);
    let vendor = fmt("E.");
    assert_eq!(
        vendor.encapsulated_space(),
        Some(&EncapsulatedSpace::Vendor)
    );
    assert!(vendor.decodes_suboptions());
    let agent = fmt("Eagent.");
    assert_eq!(
        agent.encapsulated_space(),
        Some(&EncapsulatedSpace::Named("agent".into()))
    );
    assert_eq!(
        fmt("Nddns-styles.").elements(),
        &[el(Atom::Enumeration("ddns-styles".into()))]
    );
    let hinted = fmt("eBEfoo.");
    assert!(hinted.has_encapsulation_hint() && hinted.decodes_suboptions());
    assert!(!fmt("BEfoo.").decodes_suboptions());
    assert_eq!(
        fmt("BEfoo.").encapsulated_space(),
        Some(&EncapsulatedSpace::Named("foo".into()))
    );
    assert!(fmt("Z").is_zero_length());
    assert!(fmt("").elements().is_empty());
    assert_eq!(OptionFormat::unknown(), fmt(UNKNOWN_OPTION_FORMAT));
}

#[test]
fn malformed_formats_are_refused_with_a_position() {
    assert_eq!(err("IQ"), (1, FormatErrorKind::UnknownLetter('Q')));
    assert_eq!(
        err("I\u{e9}"),
        (1, FormatErrorKind::UnknownLetter('\u{e9}'))
    );
    assert_eq!(err("BEfoo"), (1, FormatErrorKind::MissingDot('E')));
    assert_eq!(err("N."), (0, FormatErrorKind::EmptyEnumerationName));
    assert_eq!(err("a"), (0, FormatErrorKind::ModifierWithoutAtom('a')));
    assert_eq!(err("A"), (0, FormatErrorKind::ModifierWithoutAtom('A')));
    assert_eq!(err("Ic"), (1, FormatErrorKind::MisplacedModifier('c')));
    assert_eq!(err("Ioo"), (2, FormatErrorKind::MisplacedModifier('o')));
    assert_eq!(err("Iao"), (2, FormatErrorKind::MisplacedModifier('o')));
    assert_eq!(err("IAI"), (1, FormatErrorKind::RecordArrayNotLast));
    assert_eq!(err("fIaA"), (3, FormatErrorKind::NestedArray));
    assert_eq!(err("Ie"), (1, FormatErrorKind::MisplacedHint));
    assert!(err("IQ").1 != FormatErrorKind::MisplacedHint);
    let shown = OptionFormat::parse("IQ").unwrap_err().to_string();
    assert_eq!(
        shown,
        "bad option format \"IQ\" at offset 1: unknown format letter 'Q'"
    );
}

#[test]
fn text_detection_follows_format_has_text() {
    assert!(fmt("t").has_text());
    assert!(fmt("fto").has_text());
    assert!(fmt("Nddns-styles.t").has_text());
    assert!(fmt("k").has_text());
    assert!(!fmt("X").has_text());
    assert!(!fmt("BX").has_text());
    assert!(!fmt("Dc").has_text());
    assert!(!fmt("IA").has_text());
    assert!(!fmt("Bat").has_text());
}

#[test]
fn minimum_length_follows_format_min_length() {
    assert_eq!(fmt("I").min_len(), Some(4));
    assert_eq!(fmt("IA").min_len(), Some(4));
    assert_eq!(fmt("fto").min_len(), Some(1));
    assert_eq!(fmt("Io").min_len(), Some(0));
    assert_eq!(fmt("BB6Ia").min_len(), Some(22));
    assert_eq!(fmt("t").min_len(), Some(0));
    assert_eq!(fmt("BZ").min_len(), Some(1));
    assert_eq!(fmt("Nddns-styles.S").min_len(), Some(3));
    assert_eq!(fmt("eBEfoo.").min_len(), Some(0));
    assert_eq!(fmt("U").min_len(), None);
    assert_eq!(fmt("Nnot-defined.").min_len(), None);
}

#[test]
fn definitions_build_isc_strings() {
    // option contrived code 201 = { ip-address, array of integer 8, text };
    let record = OptionFormat::from_parts(
        vec![
            el(Atom::Ip4),
            Element {
                atom: U8,
                optional: false,
                repeated: true,
            },
            el(Atom::Text),
        ],
        false,
    )
    .unwrap();
    assert_eq!(record.as_str(), "IBat");
    // option routes code 202 = array of { ip-address, ip-address };
    let routes = OptionFormat::from_parts(vec![el(Atom::Ip4), el(Atom::Ip4)], true).unwrap();
    assert_eq!(routes.as_str(), "IIA");
    // option local-encapsulation code 197 = encapsulate local;
    let enc = OptionFormat::from_parts(
        vec![el(Atom::Encapsulate(EncapsulatedSpace::Named(
            "local".into(),
        )))],
        false,
    )
    .unwrap();
    assert_eq!(enc.as_str(), "Elocal.");
    let nested = OptionFormat::from_parts(
        vec![Element {
            atom: U8,
            optional: false,
            repeated: true,
        }],
        true,
    );
    assert_eq!(nested.unwrap_err().kind, FormatErrorKind::NestedArray);
    assert_eq!(IntWidth::W16.bits(), 16);
    assert_eq!(U8.fixed_len(), Some(1));
    assert!(!Atom::ImplicitFlag.is_config_value());
}
