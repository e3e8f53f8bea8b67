//! Tests of the evaluator through configurations, as ISC reads them.
//!
//! Each case is dhcpd.conf text: the statements run in the global scope
//! and `log(...)` shows values, the way the lines were checked against ISC
//! dhcpd 4.4.3 (`dhcpd -t` runs the global scope and prints the same
//! lines; cases without a request or lease were run through it, and their
//! expectations are its output). Cases with a request or a lease build
//! the context by hand.

use std::net::Ipv4Addr;

use super::*;
use crate::conf::ast::OptionRef;
use crate::conf::model::Config;
use crate::conf::parser::MemLoader;

fn parse(text: &str) -> Config {
    let loader = MemLoader(vec![("t.conf".into(), text.as_bytes().to_vec())]);
    let out = crate::conf::check_config("t.conf", &loader);
    match out.config {
        Some(c) => c,
        None => panic!("does not parse: {:?} {:?}", out.fatal, out.diagnostics),
    }
}

/// A host that resolves a few names and records the collections checked.
#[derive(Default)]
struct TestHost {
    checked: Vec<String>,
}

impl Host for TestHost {
    fn lookup_host(&mut self, name: &str, _now: i64) -> Result<Vec<Ipv4Addr>, LookupError> {
        match name {
            "two.example" => Ok(vec![Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)]),
            "again.example" => Err(LookupError::TryAgain),
            _ => Err(LookupError::HostNotFound),
        }
    }

    fn host_name(&mut self) -> Option<Vec<u8>> {
        Some(b"testhost".to_vec())
    }

    fn check_collection(&mut self, name: &str) -> bool {
        self.checked.push(name.to_string());
        name == "default"
    }
}

struct Outcome {
    lines: Vec<String>,
    effects: Vec<Effect>,
    fatal: Option<Vec<u8>>,
    on_commit: bool,
}

fn run_with(
    config: &Config,
    ctx: Context<'_>,
    input: Option<&OptionState<'_>>,
    on_star: bool,
) -> Outcome {
    let mut host = TestHost::default();
    let mut global = Bindings::new();
    let mut out = OptionState::new();
    let mut ev = Evaluator::new(ctx, &mut host, Scopes::new(&mut global));
    if on_star {
        ev.on_star = Some(OnStar::default());
    }
    // Received options live as long as the configuration here.
    let input: Option<OptionState<'_>> = input.map(|i| {
        i.space(crate::options::SpaceId::DHCP)
            .into_iter()
            .fold(OptionState::new(), |mut s, c| {
                s.save(OptionCache::data(
                    c.option.clone().into_owned(),
                    match &c.value {
                        CacheValue::Data(d) => d.to_vec(),
                        _ => Vec::new(),
                    },
                ));
                s
            })
    });
    ev.execute(
        input.as_ref(),
        &mut out,
        &config.groups[Config::ROOT].statements,
    );
    Outcome {
        lines: ev
            .log
            .iter()
            .map(|l| String::from_utf8_lossy(&l.text).into_owned())
            .collect(),
        effects: ev.effects.clone(),
        fatal: ev.fatal.clone(),
        on_commit: ev.on_star.is_some_and(|s| s.commit.is_some()),
    }
}

/// Runs the global scope of `text` with no request and no lease.
fn lines(text: &str) -> Vec<String> {
    let c = parse(text);
    run_with(&c, Context::default(), None, false).lines
}

fn opt(code: u32, name: &str, format: &str) -> OptionRef {
    oref("dhcp", code, name, format)
}

fn oref(space: &str, code: u32, name: &str, format: &str) -> OptionRef {
    let space_id = crate::options::OptionCatalog::isc()
        .space_id(space)
        .expect("built-in space");
    OptionRef {
        space: space.into(),
        space_id,
        code,
        name: name.into(),
        format: format.into(),
        id: None,
    }
}

/// A BOOTREQUEST from 00:11:22:33:44:55 with a file and server name.
fn request() -> Vec<u8> {
    let mut raw = vec![0u8; 240];
    raw[0] = 1;
    raw[1] = 1;
    raw[2] = 6;
    raw[28..34].copy_from_slice(&[0, 0x11, 0x22, 0x33, 0x44, 0x55]);
    raw[44..48].copy_from_slice(b"srv\0");
    raw[108..114].copy_from_slice(b"pxe.0\0");
    raw[236..240].copy_from_slice(&[99, 130, 83, 99]);
    raw
}

// ----- cases checked against ISC's `dhcpd -t` -------------------------------

#[test]
fn data_functions_match_isc() {
    assert_eq!(
        lines(
            r#"log(info, concat("a", null)); log(info, substring("abcdef", 2, 100));
            log(info, suffix("abcdef", 2)); log(info, ucase("aBc")); log(info, lcase("AbC"));
            log(info, pick-first-value(null, option host-name, "dflt"));"#
        ),
        vec!["cdef", "ef", "ABC", "abc", "dflt"]
    );
    assert_eq!(
        lines(
            r#"log(info, reverse(2, "abcd")); log(info, reverse(3, "abcd")); log(info, encode-int(65, 8));"#
        ),
        vec![
            "cdab",
            "reverse: length of buffer 4 not a multiple of width 3!",
            "A"
        ]
    );
}

#[test]
fn binary_to_ascii_matches_isc() {
    assert_eq!(
        lines(
            r#"log(info, binary-to-ascii(1, 8, ".", "ab")); log(info, binary-to-ascii(17, 8, ".", "ab"));
            log(info, binary-to-ascii(2, 16, ".", "ab")); log(info, binary-to-ascii(10, 12, ".", "ab"));
            log(info, binary-to-ascii(10, 16, ".", "abc"));"#
        ),
        vec![
            "00.00",
            ".",
            "110000101100010",
            "binary_to_ascii: invalid width 12!",
            "binary-to-ascii: length of buffer 3 not a multiple of width 2!"
        ]
    );
}

#[test]
fn missing_request_and_lease_log_like_isc() {
    assert_eq!(
        lines(
            r#"log(info, leased-address); log(info, host-decl-name); log(info, packet(0, 4));
            log(info, filename); log(info, server-name); log(info, hardware);
            if known { log(info, "k"); } if static { log(info, "s"); } else { log(info, "ns"); }
            if not static { log(info, "nots"); }"#
        ),
        vec![
            "data: \"leased-address\" configuration directive: there is no lease associated with this client.",
            "data: host_decl_name: not available",
            "data: packet: raw packet not available",
            "data: hardware: no raw packet or lease is available",
            "ns",
            "nots"
        ]
    );
    // `if lease-time = 3600` at the top level (conformance case
    // if-numeric-equality): ISC logs once and takes the branch as false.
    assert_eq!(
        lines("if lease-time = 3600 { log(info, \"x\"); }"),
        vec!["data: leased_lease: not available"]
    );
}

#[test]
fn comparisons_and_regexes_match_isc() {
    assert_eq!(
        lines(
            r#"set vv = "a"; if vv = "a" { log(info, "eq"); } if vv ~= "^a$" { log(info, "re"); }
            if "ABC" ~~ "^a" { log(info, "ire"); } if "a.c" ~= "a[.]c" { log(info, "br"); }
            if null = null { log(info, "nulleq"); } if (null = "x") { log(info, "bad"); } else { log(info, "neq"); }
            if not (null = "x") { log(info, "notneq"); }"#
        ),
        vec!["eq", "re", "ire", "br", "nulleq", "neq", "notneq"]
    );
}

#[test]
fn variables_follow_isc() {
    // `set` drops the old value before evaluating, so a self-reference
    // leaves the variable unset; `define x = expr` makes a function.
    assert_eq!(
        lines(
            r#"set vq = "x"; set vq = concat(vq, "y"); if defined(vq) { log(info, "def"); } log(info, vq);
            set vz = "q"; log(info, vz); set vz = "r"; log(info, vz);"#
        ),
        vec!["q", "r"]
    );
    assert_eq!(
        lines("define xx = 5; set yy = xx; log(yy);"),
        vec!["binding type 4 in evaluate_data_expression."]
    );
    assert_eq!(
        lines(
            r#"set vn = 5; log(vn); if vn = 5 { log("five"); } unset vn; if defined(vn) { log("still"); } else { log("gone"); }"#
        ),
        vec!["\u{5}", "five", "gone"]
    );
}

#[test]
fn switch_falls_through_until_break_like_isc() {
    assert_eq!(
        lines(
            r#"switch ("b") { case "a": log(info, "A"); case "b": log(info, "B"); case "c": log(info, "C"); break; default: log(info, "D"); }
            switch (3) { case 1: log(info, "one"); default: log(info, "dflt"); case 4: log(info, "four"); }"#
        ),
        vec!["B", "C", "dflt", "four"]
    );
}

#[test]
fn fatal_log_stops_everything() {
    // At start-up (no request) the branch is not taken, so it parses.
    let c = parse(r#"if known { log(fatal, "boom"); log(info, "after"); } log(info, "later");"#);
    let raw = request();
    let ctx = Context {
        packet: Some(PacketView {
            raw: &raw,
            known: true,
        }),
        ..Context::default()
    };
    let o = run_with(&c, ctx, None, false);
    assert_eq!(o.fatal.as_deref(), Some(&b"boom"[..]));
    assert_eq!(o.lines, vec!["boom"]);
}

#[test]
fn config_option_reads_what_statements_set() {
    // With no request options, `exists` and `option` see nothing.
    assert_eq!(
        lines(
            r#"log(info, "x"); option domain-name "example.org"; log(info, config-option domain-name);
            if exists domain-name { log(info, "exists"); } log(info, option domain-name);"#
        ),
        vec!["x", "example.org"]
    );
}

// ----- cases with a request or a lease ---------------------------------------

#[test]
fn request_fields() {
    let c = parse(
        r#"log(info, binary-to-ascii(16, 8, ":", hardware)); log(info, filename); log(info, server-name);
        log(info, binary-to-ascii(10, 8, ".", packet(1, 2))); log(info, binary-to-ascii(10, 8, ".", packet(238, 100)));
        if packet(240, 1) = null { log(info, "past end"); } if known { log(info, "known"); }"#,
    );
    let raw = request();
    let ctx = Context {
        packet: Some(PacketView {
            raw: &raw,
            known: true,
        }),
        ..Context::default()
    };
    let o = run_with(&c, ctx, None, false);
    assert_eq!(
        o.lines,
        vec![
            "1:0:11:22:33:44:55",
            "pxe.0",
            "srv",
            "1.6",
            "83.99",
            "past end",
            "known"
        ]
    );

    let mut bad = request();
    bad[2] = 17;
    let ctx = Context {
        packet: Some(PacketView {
            raw: &bad,
            known: false,
        }),
        ..Context::default()
    };
    let o = run_with(&parse("log(info, hardware);"), ctx, None, false);
    assert_eq!(o.lines, vec!["data: hardware: invalid hlen (17)\n"]);
}

#[test]
fn request_options() {
    let c = parse(
        r#"if exists host-name { log(info, option host-name); }
        if option host-name ~~ "^ABC" { log(info, "starts"); }
        log(info, binary-to-ascii(10, 16, "-", option dhcp-max-message-size));
        log(info, encode-int(extract-int(option dhcp-max-message-size, 16) / extract-int(01:00, 16), 8));
        log(info, encode-int(extract-int(option dhcp-max-message-size, 16) % extract-int(00, 8), 8));
        if exists domain-name { log(info, "no"); }"#,
    );
    let mut input = OptionState::new();
    input.save(OptionCache::data(
        opt(12, "host-name", "t"),
        b"abcd".to_vec(),
    ));
    input.save(OptionCache::data(
        opt(57, "dhcp-max-message-size", "S"),
        vec![0x41, 0x00],
    ));
    let raw = request();
    let ctx = Context {
        packet: Some(PacketView {
            raw: &raw,
            known: false,
        }),
        ..Context::default()
    };
    let o = run_with(&c, ctx, Some(&input), false);
    assert_eq!(o.lines, vec!["abcd", "starts", "16640", "A"]);
}

#[test]
fn lease_facts() {
    let c = parse(
        r#"log(info, binary-to-ascii(10, 8, ".", leased-address)); log(info, host-decl-name);
        log(info, binary-to-ascii(10, 32, "", encode-int(lease-time, 32)));
        if static { log(info, "static"); } log(info, binary-to-ascii(16, 8, ":", hardware));"#,
    );
    let hw = [1u8, 0xaa, 0xbb];
    let lease = LeaseView {
        address: Ipv4Addr::new(10, 0, 0, 9),
        ends: 1_000_600,
        is_static: true,
        host_name: Some("pc1"),
        hardware: &hw,
    };
    let ctx = Context {
        lease: Some(lease.clone()),
        now: 1_000_000,
        ..Context::default()
    };
    let o = run_with(&c, ctx, None, false);
    assert_eq!(o.lines, vec!["10.0.0.9", "pc1", "600", "static", "1:aa:bb"]);
    // A lease that already ended.
    let ctx = Context {
        lease: Some(lease),
        now: 1_000_601,
        ..Context::default()
    };
    let o = run_with(&parse("if lease-time = 1 { }"), ctx, None, false);
    assert_eq!(
        o.lines,
        vec!["data: lease_time: lease ends at 1000600 when it is now 1000601"]
    );
}

#[test]
fn boolean_logic_keeps_iscs_null_rules() {
    // `false and X` fails rather than being false: `not` of it fails too.
    assert_eq!(
        lines(
            r#"if not (known and known) { log(info, "a"); }
            if known or "x" = "x" { log(info, "b"); }
            if not ("x" = "y" and "x" = "x") { log(info, "c"); }
            if "x" = "y" or known { log(info, "d"); } else { log(info, "e"); }"#
        ),
        vec!["b", "e"]
    );
}

#[test]
fn arithmetic_wraps_and_zero_division_fails() {
    assert_eq!(
        lines(
            r#"if encode-int(extract-int(05, 8) / 0, 8) = null { log(info, "div0"); }
            if encode-int(extract-int(05, 8) % 0, 8) = null { log(info, "rem0"); }
            log(info, binary-to-ascii(10, 8, "", encode-int(300, 8)));
            log(info, binary-to-ascii(16, 32, "", encode-int(extract-int(ff:ff:ff:ff, 32) * extract-int(ff:ff:ff:ff, 32), 32)));
            log(info, binary-to-ascii(10, 16, "", encode-int(extract-int(ff:ff:ff:ff, 32) + 2, 16)));
            log(info, binary-to-ascii(10, 32, "", encode-int(7 & 3 | 8 ^ 1, 32)));
            log(info, binary-to-ascii(10, 32, "", ff:ff:ff:ff));"#
        ),
        // ISC prints 2^32 - 1 in base 10 with a leading zero: its digit
        // count wraps around in 32 bits.
        vec!["div0", "rem0", "44", "1", "1", "10", "04294967295"]
    );
}

#[test]
fn host_lookups_and_hostname() {
    let c = parse(
        r#"log(info, binary-to-ascii(10, 8, ".", gethostbyname("two.example")));
        log(info, gethostbyname("nowhere.example")); log(info, gethostbyname("again.example"));
        log(info, gethostname());"#,
    );
    let o = run_with(&c, Context::default(), None, false);
    assert_eq!(
        o.lines,
        vec![
            "10.0.0.1.10.0.0.2",
            "nowhere.example: host unknown.",
            "again.example: temporary name server failure",
            "testhost"
        ]
    );
}

#[test]
fn option_values_with_host_names_resolve_when_used() {
    let c =
        parse("option routers two.example, 10.1.1.1; option domain-name-servers nowhere.example;");
    let mut host = TestHost::default();
    let mut global = Bindings::new();
    let mut out = OptionState::new();
    let mut ev = Evaluator::new(Context::default(), &mut host, Scopes::new(&mut global));
    ev.execute(None, &mut out, &c.groups[Config::ROOT].statements);
    let o = Opts {
        input: None,
        config: Some(&out),
    };
    let routers = out.lookup(crate::options::SpaceId::DHCP, 3).unwrap();
    assert_eq!(
        ev.option_cache(o, routers).unwrap(),
        vec![10, 0, 0, 1, 10, 0, 0, 2, 10, 1, 1, 1]
    );
    let dns = out.lookup(crate::options::SpaceId::DHCP, 6).unwrap();
    assert_eq!(ev.option_cache(o, dns), None);
    assert_eq!(
        ev.log.last().unwrap().text,
        b"nowhere.example: host unknown."
    );
}

#[test]
fn option_statements_combine_like_set_option() {
    let c = parse(
        r#"option domain-name "b"; default domain-name "x"; append domain-name "c"; prepend domain-name "a";
        default host-name "h"; supersede host-name "i";
        log(info, config-option domain-name); log(info, config-option host-name);"#,
    );
    assert_eq!(
        run_with(&c, Context::default(), None, false).lines,
        vec!["abc", "i"]
    );
}

#[test]
fn add_execute_and_on_are_effects() {
    let c = parse(
        r#"class "c1" { match if false; } add "c1"; execute("/bin/echo", "a", concat("b", "c"));
        execute("/bin/false", null); on commit { log(info, "committed"); }"#,
    );
    let raw = request();
    let ctx = Context {
        packet: Some(PacketView {
            raw: &raw,
            known: false,
        }),
        ..Context::default()
    };
    let o = run_with(&c, ctx, None, true);
    assert_eq!(
        o.effects,
        vec![
            Effect::AddClass("c1".into()),
            Effect::Execute(vec![b"/bin/echo".to_vec(), b"a".to_vec(), b"bc".to_vec()])
        ]
    );
    assert!(o.on_commit);
    assert_eq!(
        o.lines,
        vec![
            "execute_statement argv[0] = /bin/echo",
            "execute_statement argv[1] = a",
            "execute_statement argv[2] = bc",
            "execute_statement argv[0] = /bin/false",
            "execute: bad arg 1"
        ]
    );
    // Without a lease or on_star, `on` registers nothing.
    assert!(!run_with(&c, Context::default(), None, false).on_commit);
}

#[test]
fn functions_are_called_with_dynamic_scope() {
    let c = parse(
        r#"set vg = "G"; define fn(pz) { return concat(pz, vg); }
        set vr = fn("x"); log(info, vr); if fn("x") = "xG" { log(info, "eqcall"); }
        set vt = fn("x", "y"); set vw = nofn("x"); set vs = vg("x");"#,
    );
    let o = run_with(&c, Context::default(), None, false);
    assert_eq!(
        o.lines,
        vec![
            "xG",
            "eqcall",
            "fn: too many arguments.",
            "nofn: no such function.",
            "vg: not a function."
        ]
    );
    let c = parse(r#"define fn(pz, py) { return pz; } set vu = fn("x");"#);
    assert_eq!(
        run_with(&c, Context::default(), None, false).lines,
        vec!["fn: too few arguments."]
    );
}

#[test]
fn function_values_in_typed_contexts_are_bogus_like_isc() {
    let c = parse(r#"define fn(pz) { return pz; } log(info, fn("z"));"#);
    let o = run_with(&c, Context::default(), None, false);
    assert_eq!(
        o.lines,
        vec!["Bogus opcode in evaluate_data_expression: 45"]
    );
}

#[test]
fn check_goes_to_the_host() {
    let mut host = TestHost::default();
    let e = crate::conf::ast::Expression::Check("default".into());
    let mut ev = Evaluator::new(Context::default(), &mut host, Scopes::none());
    assert_eq!(ev.boolean(Opts::default(), &e), Some(true));
    drop(ev);
    assert_eq!(host.checked, vec!["default"]);
}

#[test]
fn set_without_scope_logs() {
    let c = parse("set vq = 1;");
    let mut host = TestHost::default();
    let mut out = OptionState::new();
    let mut ev = Evaluator::new(Context::default(), &mut host, Scopes::none());
    ev.execute(None, &mut out, &c.groups[Config::ROOT].statements);
    assert_eq!(ev.log[0].text, b"set vq: no scope");
}

#[test]
fn opcodes_in_wrong_contexts_log_like_isc() {
    use crate::conf::ast::Expression as E;
    let (d, k, n, h) = (E::ConstData(vec![1]), E::Known, E::ConstInt(1), E::Hardware);
    let mut host = TestHost::default();
    let mut ev = Evaluator::new(Context::default(), &mut host, Scopes::none());
    let o = Opts::default();
    assert_eq!(ev.boolean(o, &d), None);
    assert_eq!(ev.numeric(o, &k), None);
    assert_eq!(ev.data(o, &n), None);
    assert_eq!(ev.numeric(o, &h), None);
    let texts: Vec<String> = ev
        .log
        .iter()
        .map(|l| String::from_utf8_lossy(&l.text).into_owned())
        .collect();
    assert_eq!(
        texts,
        vec![
            "Data opcode in evaluate_boolean_expression: 14",
            "Boolean opcode in evaluate_numeric_expression: 24",
            "Numeric opcode in evaluate_data_expression: 21",
            "Data opcode in evaluate_numeric_expression: 12"
        ]
    );
}

#[test]
fn v6relay_reads_only_the_request_itself() {
    let c = parse(r#"log(info, v6relay(0, "same")); log(info, v6relay(1, "relay"));"#);
    assert_eq!(
        run_with(&c, Context::default(), None, false).lines,
        vec!["same"]
    );
}

#[test]
fn recursion_is_bounded() {
    let c = parse(r#"define fn(pz) { return fn(pz); } set vr = fn("x"); log(info, "survived");"#);
    let o = run_with(&c, Context::default(), None, false);
    assert_eq!(o.lines.last().map(String::as_str), Some("survived"));
}

#[test]
fn encapsulation_packs_a_space() {
    let mut state = OptionState::new();
    let agent = |code, name: &str| oref("agent", code, name, "X");
    state.save(OptionCache::data(agent(2, "remote-id"), b"r".to_vec()));
    state.save(OptionCache::data(agent(1, "circuit-id"), b"c".to_vec()));
    state.save(OptionCache::data(agent(6, "subscriber-id"), vec![]));
    let mut host = TestHost::default();
    let mut ev = Evaluator::new(Context::default(), &mut host, Scopes::none());
    let o = Opts::default();
    // Linked space: insertion order; empty values are left out.
    assert_eq!(
        ev.encapsulate_space(o, &state, "agent").unwrap(),
        vec![2, 1, b'r', 1, 1, b'c']
    );
    assert_eq!(ev.encapsulate_space(o, &state, "nwip").unwrap(), vec![1, 0]);
    let fqdn = |code, name: &str, f: &str| oref("fqdn", code, name, f);
    state.save(OptionCache::data(fqdn(2, "server-update", "f"), vec![1]));
    state.save(OptionCache::data(fqdn(3, "encoded", "f"), vec![1]));
    state.save(OptionCache::data(fqdn(7, "fqdn", "t"), b"a.b".to_vec()));
    assert_eq!(
        ev.encapsulate_space(o, &state, "fqdn").unwrap(),
        b"\x05\0\0\x01a\x01b\x00".to_vec()
    );
}
