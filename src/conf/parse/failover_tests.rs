//! What the failover grammar records in the model. (Messages and recovery
//! are checked against ISC's own output in tests/failover_output.rs.)

use std::net::Ipv4Addr;
use std::rc::Rc;

use super::c_atoi;
use super::PoolPeerRef;
use crate::conf::check_config;
use crate::conf::model::{Config, Group, ScopeKind};
use crate::conf::model_failover::{FailoverRole, FailoverState, PeerAddress, PeerScope, StateSince};
use crate::conf::parser::{MemLoader, Parser};
use crate::failover::hash::Hba;

const PAIR: &str = "address 10.0.0.1; peer address 10.0.0.2;";

/// Parses `src` as a whole file; returns the parser for inspection.
fn parse(src: &str) -> Parser<'static> {
    let loader: &'static MemLoader = Box::leak(Box::new(MemLoader(Vec::new())));
    let mut p = Parser::new("t.conf", Rc::from(src.as_bytes()), loader);
    p.parse_conf_file(Config::ROOT, ScopeKind::Root)
        .expect("no fatal error");
    p
}

fn messages(p: &Parser<'_>) -> Vec<String> {
    p.diagnostics.iter().map(|d| d.headline()).collect()
}

#[test]
fn full_primary_declaration() {
    let p = parse(
        "failover peer \"dhcp-ha\" {\n primary;\n address 10.60.0.2;\n port 519;\n peer address 10.60.0.3;\n \
         peer port 520;\n max-response-delay 60;\n max-unacked-updates 10;\n mclt 3600;\n split 128;\n \
         load balance max seconds 3;\n max-lease-misbalance 5;\n max-lease-ownership 6;\n max-balance 7;\n \
         min-balance 8;\n auto-partner-down 9;\n}\n",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let peers = &p.config.failover.peers;
    assert_eq!(peers.len(), 1);
    let f = &peers[0];
    assert_eq!(f.name, "dhcp-ha");
    assert_eq!((f.role, f.role_given), (FailoverRole::Primary, true));
    assert_eq!(f.me.address, Some(PeerAddress::Ip(Ipv4Addr::new(10, 60, 0, 2))));
    assert_eq!(f.partner.address, Some(PeerAddress::Ip(Ipv4Addr::new(10, 60, 0, 3))));
    assert_eq!((f.me.port, f.partner.port), (519, 520));
    assert_eq!((f.me.max_response_delay, f.me.max_unacked_updates), (60, 10));
    assert_eq!(f.mclt, 3600);
    assert_eq!(f.split, Some(128));
    assert_eq!(f.hba, Some(Hba::from_split(128).unwrap()));
    assert_eq!(f.load_balance_max_secs, 3);
    assert_eq!(
        (
            f.max_lease_misbalance,
            f.max_lease_ownership,
            f.max_balance,
            f.min_balance,
            f.auto_partner_down
        ),
        (5, 6, 7, 8, 9)
    );
    assert_eq!(f.scope, PeerScope::Root);
    assert_eq!(f.group, Config::ROOT);
    assert_eq!(f.me.state.state, FailoverState::Recover);
    assert_eq!(f.partner.state.state, FailoverState::Unknown);
    assert_eq!(f.pool_count, 0);
}

#[test]
fn defaults_fill_what_is_missing() {
    let p = parse(&format!("failover peer \"s\" {{ secondary; {} }}", PAIR));
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let f = &p.config.failover.peers[0];
    assert_eq!(f.role, FailoverRole::Secondary);
    assert_eq!((f.me.port, f.partner.port), (647, 647));
    assert_eq!((f.max_lease_misbalance, f.max_lease_ownership), (15, 10));
    assert_eq!((f.max_balance, f.min_balance), (3600, 60));
    assert_eq!((f.me.max_unacked_updates, f.me.max_response_delay), (100, 20));
    // ISC leaves the partner's numbers alone: they come from its CONNECT.
    assert_eq!((f.partner.max_unacked_updates, f.partner.max_response_delay), (0, 0));
    assert_eq!(
        (f.mclt, f.hba, f.load_balance_max_secs, f.auto_partner_down),
        (0, None, 0, 0)
    );
}

#[test]
fn peer_prefix_addresses_the_partner() {
    let p = parse(
        "failover peer a { address 10.0.0.1; peer peer address 10.0.0.2; peer max-response-delay 7; \
         peer max-unacked-updates 8; peer mclt 9; peer split 3; }",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let f = &p.config.failover.peers[0];
    assert_eq!(f.partner.address, Some(PeerAddress::Ip(Ipv4Addr::new(10, 0, 0, 2))));
    assert_eq!((f.partner.max_response_delay, f.partner.max_unacked_updates), (7, 8));
    // mclt and split belong to the relationship, `peer` or not.
    assert_eq!(f.mclt, 9);
    assert_eq!(f.hba.unwrap().as_bytes()[0], 0b0000_0111);
    // No role given: ISC treats the peer as primary.
    assert_eq!((f.role, f.role_given), (FailoverRole::Primary, false));
}

#[test]
fn addresses_may_be_host_names() {
    let p = parse("failover peer a { secondary; address dhcp1.example.com.; peer address 1234; }");
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let f = &p.config.failover.peers[0];
    assert_eq!(f.me.address, Some(PeerAddress::Hostname("dhcp1.example.com.".into())));
    assert_eq!(f.partner.address, Some(PeerAddress::Hostname("1234".into())));
}

#[test]
fn hba_bytes_are_kept_verbatim() {
    let hex = ["aa"; 31].join(":") + ":5";
    let p = parse(&format!("failover peer a {{ primary; {} mclt 1; hba {}; }}", PAIR, hex));
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let f = &p.config.failover.peers[0];
    let bytes = f.hba.unwrap();
    assert_eq!(bytes.as_bytes()[..31], [0xaa; 31]);
    assert_eq!(bytes.as_bytes()[31], 5);
    assert_eq!(f.split, None);
}

#[test]
fn state_block_sets_states_times_and_mclt() {
    let p = parse(&format!(
        "failover peer a {{ secondary; {} }}\nfailover peer a state {{ my state normal at 1 2024/05/06 07:08:09; \
         partner state recover-wait; mclt 30; }}\n",
        PAIR
    ));
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let f = &p.config.failover.peers[0];
    assert_eq!(f.me.state.state, FailoverState::Normal);
    assert_eq!(f.me.state.since, StateSince::At(1_714_979_289));
    assert_eq!(f.partner.state.state, FailoverState::RecoverWait);
    assert_eq!(f.partner.state.since, StateSince::WhenRead);
    assert_eq!(f.mclt, 30);
}

#[test]
fn state_with_a_zero_date_is_not_recorded() {
    let p = parse(&format!(
        "failover peer a {{ secondary; {} }}\nfailover peer a state {{ my state normal at epoch 0; \
         partner state paused at never; }}\n",
        PAIR
    ));
    assert!(p.diagnostics.is_empty(), "{:?}", messages(&p));
    let f = &p.config.failover.peers[0];
    assert_eq!(f.me.state.state, FailoverState::Recover);
    assert_eq!(f.partner.state.state, FailoverState::Paused);
    assert_eq!(f.partner.state.since, StateSince::At(0x7fff_ffff));
}

#[test]
fn abandoned_declarations_are_not_entered() {
    let p = parse(&format!("failover peer a {{ primary; {} mclt x; split 1; }}", PAIR));
    assert!(p.file_had_errors);
    assert!(p.config.failover.peers.is_empty());
    // A reported but non-fatal mistake keeps the peer.
    let p = parse(&format!("failover peer a {{ primary; {} mclt 5; split 300; }}", PAIR));
    assert_eq!(
        messages(&p),
        [
            "t.conf line 1: split must be between 0 and 256, inclusive",
            "t.conf line 1: primary failover server must have hba or split."
        ]
    );
    assert_eq!(p.config.failover.peers.len(), 1);
    assert_eq!(p.config.failover.peers[0].hba, None);
}

#[test]
fn redeclaration_keeps_the_first() {
    let p = parse(&format!(
        "failover peer a {{ secondary; {} port 1; }}\nfailover peer a {{ secondary; {} port 2; }}\n",
        PAIR, PAIR
    ));
    assert_eq!(messages(&p), ["t.conf line 2: redeclaration of failover peer a"]);
    assert_eq!(p.config.failover.peers.len(), 1);
    assert_eq!(p.config.failover.peers[0].me.port, 1);
}

#[test]
fn shared_network_declares_and_names_peers() {
    let loader = MemLoader(Vec::new());
    let src = format!(
        "failover peer \"x\" {{ secondary; {} }}\nfailover peer \"y\";\nfailover peer \"x\";\n",
        PAIR
    );
    let mut p = Parser::new("t.conf", Rc::from(src.as_bytes()), &loader);
    let mut g = Group::new(ScopeKind::SharedNetwork, Some(Config::ROOT));
    g.shared_network = Some(4);
    let sn_group = p.config.add_group(g);
    let mut declaration = false;
    for _ in 0..3 {
        declaration = p
            .parse_statement(sn_group, ScopeKind::SharedNetwork, None, declaration)
            .unwrap();
    }
    assert_eq!(messages(&p), ["t.conf line 2: reference to unknown failover peer y"]);
    let f = &p.config.failover.peers[0];
    assert_eq!(f.scope, PeerScope::SharedNetwork(Some(4)));
    assert_eq!(f.group, sn_group);
    assert_eq!(p.config.failover.shared_network_peer(4), Some(0));
    assert_eq!(p.config.failover.shared_network_peer(3), None);
}

#[test]
fn pool_references_resolve_and_count() {
    let loader = MemLoader(Vec::new());
    let src = format!(
        "failover peer \"a\" {{ secondary; {} }}\n peer \"a\";\n peer \"b\";\n peer a;\n \"a\";\n",
        PAIR
    );
    let mut p = Parser::new("t.conf", Rc::from(src.as_bytes()), &loader);
    p.parse_statement(Config::ROOT, ScopeKind::Root, None, false).unwrap();
    let got: Vec<PoolPeerRef> = (0..4).map(|_| p.parse_pool_failover_peer().unwrap()).collect();
    assert_eq!(
        got,
        [
            PoolPeerRef::Peer(0),
            PoolPeerRef::NotFound,
            PoolPeerRef::Malformed,
            PoolPeerRef::Malformed
        ]
    );
    assert_eq!(
        messages(&p),
        [
            "t.conf line 3: failover peer b: not found",
            "t.conf line 4: expecting string.",
            "t.conf line 5: expecting 'peer'."
        ]
    );
    assert_eq!(p.config.failover.peers[0].pool_count, 1);
    assert_eq!(p.find_failover_peer("a"), Some(0));
    assert_eq!(p.find_failover_peer("A"), None);
}

#[test]
fn sanity_check_walks_newest_first_and_fails_on_unreferenced_peers() {
    let src = format!(
        "failover peer a {{ secondary; {p} }}\nfailover peer b {{ secondary; {p} load balance max seconds 3; }}\n\
         failover peer c {{ secondary; {p} }}\n",
        p = PAIR
    );
    let loader = MemLoader(vec![("t.conf".into(), src.into_bytes())]);
    let out = check_config("t.conf", &loader);
    let lines: Vec<String> = out.diagnostics.iter().map(|d| d.headline()).collect();
    let unref = |n: &str| {
        format!("ERROR: Failover peer, {}, has no referring pools. You must refer to each peer in at least one pool declaration.", n)
    };
    let nolb = |n: &str| {
        format!(
            "WARNING: load balancing will be disabled for failover peer, {}, because its load balance max secs is 0",
            n
        )
    };
    assert_eq!(lines, [unref("c"), nolb("c"), unref("b"), unref("a"), nolb("a")]);
    assert_eq!(out.fatal.as_deref(), Some("Failover configuration sanity check failed"));
    assert_eq!(out.first_error(), Some(unref("c")));
}

#[test]
fn sanity_check_passes_with_referenced_peers() {
    let loader = MemLoader(Vec::new());
    let src = format!("failover peer a {{ secondary; {} }}\n peer \"a\";\n", PAIR);
    let mut p = Parser::new("t.conf", Rc::from(src.as_bytes()), &loader);
    p.parse_statement(Config::ROOT, ScopeKind::Root, None, false).unwrap();
    p.parse_pool_failover_peer().unwrap();
    assert!(p.check_failover().is_ok());
    assert_eq!(
        messages(&p),
        ["WARNING: load balancing will be disabled for failover peer, a, because its load balance max secs is 0"]
    );
}

#[test]
fn atoi_matches_glibc() {
    assert_eq!(c_atoi("42"), 42);
    assert_eq!(c_atoi("-1"), -1);
    assert_eq!(c_atoi("-"), 0);
    assert_eq!(c_atoi("4294967296"), 0);
    assert_eq!(c_atoi("4294967297"), 1);
    // strtol saturates at LONG_MAX before the cast to int.
    assert_eq!(c_atoi("18446744073709551716"), -1);
    assert_eq!(c_atoi("-99999999999999999999"), 0);
    assert_eq!(c_atoi("12ab"), 12);
}

#[test]
fn lease_file_state_records_find_their_peer_by_name() {
    // Messages as `dhcpd -T` prints them for the same lease file.
    let loader = MemLoader(Vec::new());
    let src = format!(
        "failover peer \"a\" {{ secondary; {} }}\n\
         failover peer \"a\" state {{\n my state normal at 1 2024/05/06 07:08:09;\n \
         partner state partner-down;\n mclt 3600;\n}}\n\
         failover peer \"zz\" state {{ my state normal; }}\n\
         failover peer \"a\" foo;\n\
         failover foo;\n\
         failover peer \"a\" state;\n\
         failover peer \"a\" state {{ peer state normal; }}\n",
        PAIR
    );
    let mut p = Parser::new("l.leases", Rc::from(src.as_bytes()), &loader);
    p.parse_statement(Config::ROOT, ScopeKind::Root, None, false).unwrap();
    for _ in 0..6 {
        assert_eq!(
            p.next_token().unwrap(),
            crate::conf::lexer::Token::Kw(crate::conf::keywords::Keyword::Failover)
        );
        p.parse_failover_state_declaration(None).unwrap();
    }
    assert_eq!(
        messages(&p),
        [
            "l.leases line 7: unknown failover peer: zz",
            "l.leases line 8: expecting 'state'",
            "l.leases line 9: expecting \"peer\"",
            "l.leases line 10: expecting left brace",
            "l.leases line 11: expecting state setting.",
        ]
    );
    let f = &p.config.failover.peers[0];
    assert_eq!(f.me.state.state, FailoverState::Normal);
    assert_eq!(f.me.state.since, StateSince::At(1_714_979_289));
    assert_eq!(f.partner.state.state, FailoverState::PartnerDown);
    assert_eq!(f.mclt, 3600);
}
