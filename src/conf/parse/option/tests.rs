//! Option statements against ISC dhcpd 4.4.3.
//!
//! Two kinds of checks. `ours_option_cases_match_isc_output` runs every
//! `conformance/ours/option-*.conf` case (top-level variants of the public
//! cases plus edge cases, ISC's output recorded by `run-oracle.sh`) and
//! compares our *whole* output with ISC's, not just the first error. The
//! unit tests below check what a statement parses to (the encoded value),
//! and the messages ISC gives for small inputs, copied from `dhcpd -t`.

use std::path::Path;
use std::rc::Rc;

use super::*;
use crate::conf::ast::Statement;
use crate::conf::conformance::DirLoader;
use crate::conf::diag::Severity;
use crate::conf::model::Config;
use crate::conf::parser::MemLoader;
use crate::conf::{check_config, ConfigOutcome};

/// ISC's output for a parse as `run-oracle.sh` records it: messages, then
/// either the three start-up lines or the fatal line; `cat -v` applied.
fn render(name: &str, outcome: &ConfigOutcome) -> String {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for d in &outcome.diagnostics {
        lines.extend(d.render());
    }
    match &outcome.fatal {
        None => {
            lines.push(format!("Config file: {name}").into_bytes());
            lines.push(b"Database file: TMP/dhcpd.leases".to_vec());
            lines.push(b"PID file: TMP/dhcpd.pid".to_vec());
        }
        // A crash leaves no output at all.
        Some(f) if f.starts_with("ISC dhcpd crashes on this configuration") => {}
        Some(f) => lines.push(f.clone().into_bytes()),
    }
    let mut out = String::new();
    for line in lines {
        out.push_str(&cat_v(&line));
        out.push('\n');
    }
    out
}

/// `tr -d '\000' | cat -v`.
fn cat_v(line: &[u8]) -> String {
    let mut s = String::new();
    for &b in line.iter().filter(|&&b| b != 0) {
        let (meta, c) = if b >= 0x80 { ("M-", b - 0x80) } else { ("", b) };
        s.push_str(meta);
        match c {
            b'\t' if meta.is_empty() => s.push('\t'),
            0..=31 => {
                s.push('^');
                s.push((c + 64) as char);
            }
            127 => s.push_str("^?"),
            _ => s.push(c as char),
        }
    }
    s
}

fn trim_end(s: &str) -> String {
    s.trim_end_matches('\n').to_string()
}

#[test]
fn ours_option_cases_match_isc_output() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/ours");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("option-") && n.ends_with(".conf"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let mut failures = Vec::new();
    for name in &names {
        let expected_path = dir.join("oracle-output").join(name.replace(".conf", ".out"));
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| panic!("{}", expected_path.display()));
        let outcome = check_config(name, &DirLoader(dir.clone()));
        let ours = render(name, &outcome);
        if let Some(dump) = std::env::var_os("OPTION_TESTS_DUMP") {
            // For `diff -r`: our output next to ISC's.
            let _ = std::fs::create_dir_all(&dump);
            let _ = std::fs::write(Path::new(&dump).join(name.replace(".conf", ".out")), &ours);
        }
        // Cases that need a family still being written (declarations,
        // executable statements) wait for it; the placeholders say so.
        if ours.contains("is not supported yet.") {
            println!("pending {name}: needs an unfinished statement family");
            continue;
        }
        if trim_end(&ours) != trim_end(&expected) {
            failures.push(format!("==== {name}\n--- isc\n{}\n--- ours\n{}", trim_end(&expected), trim_end(&ours)));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), names.len(), failures.join("\n"));
}

/// Parses a config from memory; returns ISC-style output and the config.
fn parse(src: &str) -> (String, Option<Config>) {
    let loader = MemLoader(vec![("t.conf".into(), src.as_bytes().to_vec())]);
    let outcome = check_config("t.conf", &loader);
    let text = render("t.conf", &outcome);
    (trim_end(&text), outcome.config)
}

/// The option statements of the global scope, parsed without ISC's
/// checks after parsing (so values ISC would refuse to start with, such as
/// an unknown OMAPI key, can still be looked at).
fn settings(src: &str) -> Vec<OptionStatement> {
    let loader = MemLoader(vec![]);
    let mut p = Parser::new("t.conf", Rc::from(src.as_bytes()), &loader);
    p.parse_conf_file(Config::ROOT, crate::conf::model::ScopeKind::Root).unwrap();
    let errors: Vec<String> = p.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.headline()).collect();
    assert!(errors.is_empty(), "{src}: {errors:?}");
    p.config.groups[Config::ROOT]
        .statements
        .iter()
        .filter_map(|s| match s {
            Statement::Option(o) => Some(o.clone()),
            _ => None,
        })
        .collect()
}

fn bytes(st: &OptionStatement) -> Vec<u8> {
    match &st.value {
        OptionValue::Data(parts) => parts
            .iter()
            .flat_map(|p| match p {
                ValuePart::Bytes(b) => b.clone(),
                ValuePart::HostLookup { .. } => panic!("host lookup"),
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

fn one(src: &str) -> OptionStatement {
    let mut v = settings(src);
    assert_eq!(v.len(), 1, "{src}");
    v.remove(0)
}

#[test]
fn values_are_encoded_as_on_the_wire() {
    let cases: &[(&str, &[u8])] = &[
        ("option subnet-mask 255.255.255.0;", &[255, 255, 255, 0]),
        ("option routers 10.0.0.1, 10.0.0.2;", &[10, 0, 0, 1, 10, 0, 0, 2]),
        ("option time-offset -18000;", &[0xff, 0xff, 0xb9, 0xb0]),
        ("option boot-size 0x10;", &[0, 16]),
        ("option default-ip-ttl 010;", &[8]),
        ("option ip-forwarding on;", &[1]),
        ("option ip-forwarding FALSE;", &[0]),
        ("option ip-forwarding ignore;", &[2]),
        ("option host-name \"a b\";", b"a b"),
        ("option host-name word;", b"word"),
        ("option dhcp-client-identifier 01:02:0a;", &[1, 2, 10]),
        ("option dhcp-client-identifier \"ab\";", b"ab"),
        ("option domain-search \"a.b\", \"c.a.b\";", &[1, b'a', 1, b'b', 0, 1, b'c', 0xc0, 0]),
        ("option bcms-controller-names \"a\", \"a\";", &[1, b'a', 0, 1, b'a', 0]),
        ("option v4-lost x.y;", &[1, b'x', 1, b'y', 0]),
        ("option static-routes 1.2.3.4 5.6.7.8;", &[1, 2, 3, 4, 5, 6, 7, 8]),
        ("option slp-service-scope true;", &[1]),
        ("option slp-service-scope true \"s\";", &[1, b's']),
        ("option slp-directory-agent false 1.1.1.1, 2.2.2.2;", &[0, 1, 1, 1, 1, 2, 2, 2, 2]),
        ("option option-6rd 16 32 2001:db8:: 192.0.2.1;", &[
            16, 32, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1,
        ]),
        ("option agent.relay-port;", &[]),
        ("option dhcp6.reconf-msg RENEW;", &[5]),
        ("option dhcp6.status-code NoBinding \"x\";", &[3, 0, b'x']),
        ("option dhcp6.status-code success;", &[0, 0]),
        ("option unknown-224 \"opaque\";", b"opaque"),
        ("option server.default-lease-time infinite;", &[0xff; 4]),
        ("option server.ddns-update-style interim;", &[2]),
        ("option server.log-facility local7;", &[184]),
        ("option server.vendor-option-space foo;", b"foo"),
        ("option server.omapi-key \"k\";", b"k"),
        ("option server.omapi-key a.b.;", b"a.b."),
    ];
    for (src, want) in cases {
        assert_eq!(bytes(&one(src)), *want, "{src}");
    }
}

#[test]
fn host_names_are_kept_for_lookup_and_limited_outside_arrays() {
    let st = one("option routers gw.example, 10.0.0.1;");
    assert_eq!(
        st.value,
        OptionValue::Data(vec![
            ValuePart::HostLookup { name: "gw.example".into(), first_only: false },
            ValuePart::Bytes(vec![10, 0, 0, 1]),
        ])
    );
    let st = one("option swap-server host;");
    assert_eq!(st.value, OptionValue::Data(vec![ValuePart::HostLookup { name: "host".into(), first_only: true }]));
}

#[test]
fn statements_name_their_option() {
    let st = one("option AGENT.Circuit-ID \"p\";");
    assert_eq!((st.option.space.as_str(), st.option.code, st.option.name.as_str()), ("agent", 1, "circuit-id"));
    assert_eq!(st.op, OptionOp::Supersede);
    let st = one("server-identifier 10.0.0.1;");
    assert_eq!((st.option.code, st.option.name.as_str()), (54, "dhcp-server-identifier"));
    // A definition made earlier is what later statements use.
    let v = settings("option space acme code width 2 length width 2;\noption acme.x code 300 = array of unsigned integer 16;\noption acme.x 1, 2;");
    assert_eq!((v[0].option.space.as_str(), v[0].option.code, v[0].option.format.as_str()), ("acme", 300, "Sa"));
    assert_eq!(bytes(&v[0]), [0, 1, 0, 2]);
}

#[test]
fn empty_value_then_a_lone_semicolon_parses_but_crashes_isc() {
    // ISC eats the `;` after `option NAME` and wants another one; the
    // statement parses, and running it at start-up crashes ISC.
    let st = one("option domain-name;;");
    assert_eq!(st.value, OptionValue::Empty);
    assert_eq!(parse("option domain-name;;\n").0, "");
    // Anywhere but the global scope nothing runs at start-up.
    let (text, config) = parse("option domain-name \"x\";\n");
    assert!(config.is_some(), "{text}");
}

/// ISC's output for small configs, recorded from `dhcpd -4 -t` 4.4.3.
#[test]
fn messages_match_isc() {
    let cases: &[(&str, &str)] = &[
        (
            "option domain-name;\n",
            "t.conf line 1: semicolon expected.\n\n^\nConfiguration file errors encountered -- exiting",
        ),
        (
            "option nwip.illegal-1 1;\n",
            "t.conf line 1: Bad format '\noption nwip.illegal-1 1;\n            ^\nConfiguration file errors encountered -- exiting",
        ),
        (
            "option dhcp6.rapid-commit 1;\n",
            "t.conf line 1: semicolon expected.\noption dhcp6.rapid-commit 1;\n             ^\nt.conf line 1: semicolon expected.\n\n^\nConfiguration file errors encountered -- exiting",
        ),
        (
            "option dhcp6.status-code Success;\n",
            "t.conf line 1: unknown value\noption dhcp6.status-code Success;\n                          ^\nConfiguration file errors encountered -- exiting",
        ),
        (
            "option routers \"x\";\n",
            "t.conf line 1: x (262): expecting IP address or hostname\noption routers \"x\"\n                ^\nConfiguration file errors encountered -- exiting",
        ),
        (
            "option fqdn6-if-you-see-me-its-a-bug-bug-bug.foo code 5 = text;\noption fqdn6-if-you-see-me-its-a-bug-bug-bug.foo \"x\";\n",
            "t.conf line 2: unknown option fqdn6-if-you-see-me-its-a-bug-bug-bug.foo\noption fqdn6-if-you-see-me-its-a-bug-bug-bug.foo \"x\"\n                                             ^\nConfiguration file errors encountered -- exiting",
        ),
        (
            "option dhcp-server-identifier code 200 = ip-address;\nserver-identifier 1.2.3.4;\n",
            "Server identifier not in hash (confpars.c:711).",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(parse(src).0, *want, "{src}");
    }
}

#[test]
fn unknown_code_names_log_the_current_name() {
    let (text, config) = parse("option unknown-3 10.0.0.1;\n");
    assert!(config.is_some());
    assert!(text.starts_with(
        "option unknown-3 has been redefined as option routers.  Please update your configs if necessary.\n"
    ));
    let loader = MemLoader(vec![]);
    let mut p = Parser::new("t.conf", Rc::from(&b"x"[..]), &loader);
    assert!(p.opt_lookup_code_in(crate::options::SpaceId::DHCP, 3).is_some());
    assert!(p.diagnostics.iter().all(|d| d.severity != Severity::Error));
    assert!(p.parse_config_option_statement().unwrap().is_none());
}
