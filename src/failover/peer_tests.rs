//! Tests of one [`Peer`] driven by hand-made messages: the handshake's
//! refusals, protocol errors, flow control, update requests, pool requests
//! and state persistence. Two-server behaviour is in `sim/`.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use super::*;
use crate::failover::sim::{test_config, test_table, T0};
use crate::failover::table::MemLeaseTable;
use crate::lease::Lease;
use crate::wire::failover::{Packet, RejectReason, ServerState};

const HBA: [u8; 32] = [0xff; 32];
const LINK: LinkId = LinkId(1);

struct One {
    peer: Peer,
    table: MemLeaseTable,
    base: Instant,
    time: Time,
    events: Vec<Event>,
}

impl One {
    fn new(role: Role) -> One {
        let base = Instant::now();
        let now = Now {
            mono: base,
            wall: T0,
            wall_micros: 0,
        };
        let mut table = test_table(20);
        let mut peer = Peer::new(test_config(role), None, now, 1);
        peer.start(now, &mut table);
        let mut one = One {
            peer,
            table,
            base,
            time: T0,
            events: Vec::new(),
        };
        one.drain();
        one
    }

    fn now(&self) -> Now {
        Now {
            mono: self.base + Duration::from_secs((self.time - T0) as u64),
            wall: self.time,
            wall_micros: 0,
        }
    }

    fn advance(&mut self, secs: Time) {
        self.time += secs;
        let now = self.now();
        self.peer.handle_timeout(now, &mut self.table);
    }

    fn drain(&mut self) -> Vec<Vec<u8>> {
        while let Some(e) = self.peer.poll_event() {
            self.events.push(e);
        }
        std::iter::from_fn(|| self.peer.poll_transmit().map(|t| t.1)).collect()
    }

    fn feed(&mut self, msg: &Message<'_>) -> Vec<Vec<u8>> {
        let now = self.now();
        self.peer
            .handle_bytes(now, LINK, &msg.to_vec().unwrap(), &mut self.table);
        self.drain()
    }

    fn logged(&self, line: &str) -> bool {
        self.events.iter().any(|e| matches!(e, Event::Log(_, l) if l == line))
    }

    fn closed(&self) -> bool {
        self.events.contains(&Event::Close(LINK))
    }

    /// A secondary whose link to the primary is up.
    fn linked_secondary() -> One {
        let mut one = One::new(Role::Secondary);
        let now = one.now();
        one.peer.handle_connected(now, LINK);
        let out = one.feed(&connect(T0 as u32, b"fo-test"));
        assert_eq!(kinds(&out), [MessageType::ConnectAck, MessageType::State]);
        assert!(one.peer.is_linked());
        // The primary's first STATE ends our startup.
        let out = one.feed(&state_msg(ServerState::Recover, true));
        assert_eq!(kinds(&out), [MessageType::State, MessageType::UpdReqAll]);
        assert_eq!(one.peer.state().state, FailoverState::Recover);
        one
    }
}

fn connect(time: u32, name: &'static [u8]) -> Message<'static> {
    Message::connect(time, 0, name, 10, 30, b"isc-4.4.3-P1", 60, Some(&HBA))
}

fn parse(b: &[u8]) -> Message<'_> {
    Message::parse(&Packet::new_unchecked(b)).unwrap()
}

fn kinds(out: &[Vec<u8>]) -> Vec<MessageType> {
    out.iter().map(|b| parse(b).kind).collect()
}

fn state_msg(state: ServerState, startup: bool) -> Message<'static> {
    Message::state(T0 as u32, 9, state, startup, T0 as u32)
}

#[test]
fn connect_for_another_relationship_is_refused_with_its_name() {
    let mut one = One::new(Role::Secondary);
    let now = one.now();
    one.peer.handle_connected(now, LINK);
    let out = one.feed(&connect(T0 as u32, b"other"));
    let ack = parse(&out[0]);
    assert_eq!(ack.kind, MessageType::ConnectAck);
    assert_eq!(ack.options.relationship_name, Some(&b"other"[..]));
    assert_eq!(ack.options.max_unacked, None);
    assert_eq!(ack.options.reject_reason, Some(RejectReason::InvalidPartner));
    assert_eq!(ack.options.message, Some(&b"unknown failover relationship name"[..]));
    assert!(one.logged("Failover CONNECT from other: unknown failover relationship name"));
    assert!(one.logged("failover: disconnect: unknown failover relationship name"));
    assert!(one.closed());
    assert!(!one.peer.is_linked());
}

#[test]
fn second_connect_is_a_silent_duplicate() {
    let mut one = One::linked_secondary();
    let now = one.now();
    one.peer.handle_connected(now, LinkId(2));
    let bytes = connect(T0 as u32, b"fo-test").to_vec().unwrap();
    one.peer.handle_bytes(now, LinkId(2), &bytes, &mut one.table);
    let out = one.drain();
    let ack = parse(&out[0]);
    assert_eq!(
        (ack.options.reject_reason, ack.options.message),
        (Some(RejectReason::DupConnection), Some(&b"already connected"[..]))
    );
    assert!(one.events.contains(&Event::Close(LinkId(2))));
    assert!(!one
        .events
        .iter()
        .any(|e| matches!(e, Event::Log(_, l) if l.contains("already connected"))));
    assert!(one.peer.is_linked());
}

#[test]
fn clock_skew_and_bad_hba_are_refused() {
    let mut one = One::new(Role::Secondary);
    let now = one.now();
    one.peer.handle_connected(now, LINK);
    let out = one.feed(&connect(T0 as u32 + 61, b"fo-test"));
    assert_eq!(parse(&out[0]).options.reject_reason, Some(RejectReason::TimeMismatch));
    assert_eq!(parse(&out[0]).options.relationship_name, Some(&b"fo-test"[..]));
    assert!(one.logged("Failover CONNECT from fo-test: time offset too large"));
}

#[test]
fn garbage_closes_the_link_with_iscs_lines() {
    let mut one = One::linked_secondary();
    let now = one.now();
    one.peer.handle_bytes(now, LINK, &[0x00, 0x05, 1, 2, 3], &mut one.table);
    one.drain();
    assert!(one.logged("message length wait: unexpected error"));
    assert!(one.closed());
    assert!(one.logged("peer fo-test: disconnected"));
    assert!(!one.peer.is_linked());
}

#[test]
fn handshake_must_finish_within_15_seconds() {
    let mut one = One::new(Role::Secondary);
    let now = one.now();
    one.peer.handle_connected(now, LINK);
    one.advance(14);
    one.drain();
    assert!(!one.closed());
    one.advance(1);
    one.drain();
    assert!(one.logged("failover: link startup timeout"));
    assert!(one.closed());
}

#[test]
fn startup_ends_after_15_seconds_alone() {
    let mut one = One::new(Role::Primary);
    assert_eq!(one.peer.state().state, FailoverState::Startup);
    assert_eq!(one.peer.state_record().me.unwrap().state, FailoverState::Recover);
    one.advance(15);
    one.drain();
    assert_eq!(one.peer.state().state, FailoverState::Recover);
    assert!(one.logged("failover peer fo-test: I move from startup to recover"));
    assert_eq!(one.events.iter().filter(|e| **e == Event::Connect).count(), 1);
}

#[test]
fn startup_timeout_with_a_silent_link_closes_it() {
    let mut one = One::new(Role::Secondary);
    let now = one.now();
    one.peer.handle_connected(now, LINK);
    one.feed(&connect(T0 as u32, b"fo-test"));
    one.advance(15);
    one.drain();
    assert!(one.closed());
    assert!(one.logged("peer fo-test: disconnected"));
    assert_eq!(one.peer.state().state, FailoverState::Recover);
}

#[test]
fn contact_flows_when_idle_and_silence_drops_the_link() {
    let mut one = One::linked_secondary();
    // The primary's receive-timer is 30: CONTACT every 10 s.
    one.advance(10);
    assert_eq!(kinds(&one.drain()), [MessageType::Contact]);
    one.advance(10);
    assert_eq!(kinds(&one.drain()), [MessageType::Contact]);
    // Our max-response-delay is 30 since the last message heard.
    one.advance(10);
    one.drain();
    assert!(one.logged("timeout waiting for failover peer fo-test"));
    assert!(one.closed());
}

#[test]
fn unknown_server_state_means_shutdown() {
    let mut one = One::linked_secondary();
    one.feed(&state_msg(ServerState::Unknown(12), false));
    assert!(one.logged("failover peer fo-test: Invalid state: 12"));
    assert_eq!(one.peer.state().state, FailoverState::Shutdown);
}

#[test]
fn flow_control_keeps_at_most_max_unacked_in_flight() {
    let mut one = One::linked_secondary();
    // Peer in recover asks for everything: 20 leases, a window of 10.
    one.feed(&state_msg(ServerState::Recover, false));
    let mut work = one.feed(&Message::header_only(MessageType::UpdReqAll, T0 as u32, 77));
    assert_eq!(kinds(&work).iter().filter(|k| **k == MessageType::BndUpd).count(), 10);
    assert!(one.logged("Update request all from fo-test: sending update"));
    let (mut updates, mut done) = (0, None);
    while !work.is_empty() {
        let b = work.remove(0);
        let m = parse(&b);
        match m.kind {
            MessageType::BndUpd => {
                updates += 1;
                assert!(one.peer.pending_updates() <= 20);
                let ack = Message::bind_ack(T0 as u32, m.xid, m.options.assigned_addr.unwrap(), None);
                work.extend(one.feed(&ack));
            }
            MessageType::UpdDone => done = Some(m.xid),
            _ => {}
        }
    }
    assert_eq!(updates, 20);
    assert_eq!(done, Some(77), "UPDDONE echoes the request's xid");
    assert!(one.logged("Sent update done message to fo-test"));
    assert_eq!(one.peer.pending_updates(), 0);
}

#[test]
fn update_request_with_nothing_pending_is_answered_at_once() {
    let mut one = One::linked_secondary();
    one.feed(&state_msg(ServerState::Recover, false));
    let out = one.feed(&Message::header_only(MessageType::UpdReq, T0 as u32, 5));
    assert_eq!(kinds(&out), [MessageType::UpdDone]);
    assert_eq!(parse(&out[0]).xid, 5);
    assert!(one.logged("Update request from fo-test: nothing pending"));
}

#[test]
fn bind_update_for_an_unknown_address_is_refused() {
    let mut one = One::linked_secondary();
    let upd = crate::failover::update::BindUpdate::from_lease(&Lease::new(Ipv4Addr::new(192, 0, 2, 1)), Role::Primary);
    let out = one.feed(&upd.to_message(T0 as u32, 3));
    let ack = parse(&out[0]);
    assert_eq!((ack.kind, ack.xid), (MessageType::BndAck, 3));
    assert_eq!(ack.options.reject_reason, Some(RejectReason::IllegalIpAddr));
    assert_eq!(ack.options.message, Some(&b"unknown IP address"[..]));
}

#[test]
fn ack_with_the_wrong_xid_is_logged_and_ignored() {
    let mut one = One::linked_secondary();
    one.feed(&state_msg(ServerState::Recover, false));
    let out = one.feed(&Message::header_only(MessageType::UpdReqAll, T0 as u32, 1));
    let m = parse(&out[0]);
    let ip = m.options.assigned_addr.unwrap();
    one.feed(&Message::bind_ack(T0 as u32, m.xid + 1000, ip, None));
    assert!(one.logged(&format!("bind update on {ip} got ack from fo-test: xid mismatch.")));
    assert_eq!(one.peer.pending_updates(), 20);
    one.feed(&Message::bind_ack(
        T0 as u32,
        m.xid,
        ip,
        Some((RejectReason::LessCritBindInfo, b"no")),
    ));
    assert!(one.logged(&format!("bind update on {ip} from fo-test rejected: no")));
    assert_eq!(one.peer.pending_updates(), 19);
}

#[test]
fn negative_poolreq_answer() {
    let mut one = One::linked_secondary();
    // Get to normal first: peer normal while we are in startup → saved state (recover)...
    // so drive the secondary through recover-done to normal.
    one.feed(&state_msg(ServerState::Recover, false));
    one.feed(&Message::header_only(MessageType::UpdDone, T0 as u32, 0));
    assert_eq!(one.peer.state().state, FailoverState::RecoverDone);
    one.feed(&state_msg(ServerState::Normal, false));
    assert_eq!(one.peer.state().state, FailoverState::Normal);
    let out = one.feed(&Message::header_only(MessageType::PoolReq, T0 as u32, 44));
    let resp = out
        .iter()
        .map(|b| parse(b))
        .find(|m| m.kind == MessageType::PoolResp)
        .unwrap();
    assert_eq!((resp.xid, resp.options.addresses_transferred), (44, Some(0)));
    assert!(one.logged(
        "peer fo-test: Got POOLREQ, answering negatively!  Peer may be out of leases or database inconsistent."
    ));
    one.feed(&Message::pool_resp(T0 as u32, 3, 7));
    assert!(one.logged("pool response: 7 leases"));
}

#[test]
fn state_is_restored_from_the_lease_file_record() {
    let now = Now {
        mono: Instant::now(),
        wall: T0 + 500,
        wall_micros: 0,
    };
    let rec = FailoverStateRecord {
        peer: "fo-test".into(),
        me: Some(StateAt {
            state: FailoverState::PartnerDown,
            since: T0 + 100,
        }),
        partner: Some(StateAt {
            state: FailoverState::Normal,
            since: T0 + 50,
        }),
        mclt: Some(77),
    };
    let p = Peer::new(test_config(Role::Secondary), Some(&rec), now, 1);
    assert_eq!(
        p.state(),
        StateAt {
            state: FailoverState::PartnerDown,
            since: T0 + 100
        }
    );
    assert_eq!(p.partner_state().state, FailoverState::Normal);
    assert_eq!(p.mclt(), 77);
    assert_eq!(p.state_record(), rec);
    // A primary ignores a recorded MCLT (ISC refuses it there).
    let p = Peer::new(test_config(Role::Primary), Some(&rec), now, 1);
    assert_eq!(p.mclt(), 60);
    assert_eq!(p.state_record().mclt, None);
}

#[test]
fn shutdown_to_recover_with_peer_in_partner_down_skips_the_wait() {
    let mut one = One::linked_secondary();
    one.feed(&state_msg(ServerState::PartnerDown, false));
    let now = one.now();
    one.peer.set_state(now, FailoverState::Shutdown, &mut one.table);
    one.drain();
    // Nothing pending (the sim's fresh table has no un-acked change).
    let pending = one.peer.pending_updates();
    one.time += 5;
    let now = one.now();
    one.peer.set_state(now, FailoverState::Recover, &mut one.table);
    let expect = if pending == 0 { one.time - 60 } else { one.time };
    assert_eq!(one.peer.state().since, expect);
}

#[test]
fn persisted_records_follow_every_change() {
    let one = One::linked_secondary();
    let records: Vec<&FailoverStateRecord> = one
        .events
        .iter()
        .filter_map(|e| if let Event::Persist(r) = e { Some(r) } else { None })
        .collect();
    // Entering startup writes the saved state; adopting the primary's MCLT writes it.
    assert_eq!(records[0].me.unwrap().state, FailoverState::Recover);
    assert_eq!(records.last().unwrap().mclt, Some(60));
}

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// ISC 4.4.3-P1's CONNECT for `fo-test` (reference §1.5, [seen]).
fn isc_connect() -> Vec<u8> {
    hex(&format!(
        "006d 05 0c 6b03cef4 00000000 0016 0007 666f2d74657374 000e 0004 0000000a 0013 0004 0000001e \
         001c 000c 6973632d342e342e332d5031 0014 0001 01 001b 0001 00 000f 0004 0000003c 000b 0020 {}{}",
        "ff".repeat(16),
        "00".repeat(16)
    ))
}

#[test]
fn iscs_own_connect_is_accepted_and_its_settings_adopted() {
    let mut one = One::new(Role::Secondary);
    one.time = 0x6b03_cef4;
    let now = one.now();
    one.peer.handle_connected(now, LINK);
    one.peer.handle_bytes(now, LINK, &isc_connect(), &mut one.table);
    let out = one.drain();
    assert_eq!(kinds(&out), [MessageType::ConnectAck, MessageType::State]);
    assert_eq!(parse(&out[0]).options.reject_reason, None);
    assert_eq!(one.peer.mclt(), 60);
    // The HBA came with CONNECT: split 128, so bucket 99 is the primary's.
    let lb = one.peer.load_balance(false);
    assert!(!lb.is_mine(0, &hex("01aabbccddee01")));
    assert!(lb.is_mine(0, &hex("01aabbccddee04")));
}

#[test]
fn iscs_connectack_and_state_are_accepted() {
    let mut one = One::new(Role::Primary);
    one.time = 0x6b03_cef4;
    let now = one.now();
    one.peer.handle_connected(now, LINK);
    assert_eq!(one.drain(), vec![isc_connect()], "our CONNECT is ISC's, byte for byte");
    let ack = hex(
        "0041 06 0c 6b03cef5 00000000 0016 0007 666f2d74657374 000e 0004 0000000a 0013 0004 0000001e \
         001c 000c 6973632d342e342e332d5031 0014 0001 01 001a 0001 00",
    );
    one.time += 1;
    let now = one.now();
    one.peer.handle_bytes(now, LINK, &ack, &mut one.table);
    assert_eq!(kinds(&one.drain()), [MessageType::State]);
    assert!(one.peer.is_linked());
    let state = hex("001e 0a 0c 6b03cef6 00000001 0018 0001 06 0017 0001 01 0019 0004 6b03ce00");
    one.peer.handle_bytes(now, LINK, &state, &mut one.table);
    let out = one.drain();
    assert!(one.logged("failover peer fo-test: peer moves from unknown-state to recover"));
    assert!(one.logged("failover peer fo-test: requesting full update from peer"));
    assert_eq!(one.peer.state().state, FailoverState::Recover);
    assert!(kinds(&out).contains(&MessageType::UpdReqAll));
}
