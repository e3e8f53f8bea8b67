//! Scripted runs of a pair through the sequences the reference saw ISC go
//! through (§1.10 "Observed sequences"), checked against ISC's log lines.

use super::dhcp::{self, Answer, SimClient};
use super::{Pair, T0};
use crate::failover::binding;
use crate::failover::state::FailoverState as S;
use crate::failover::table::{LeaseTable, PoolId};
use crate::lease::BindingState;
use crate::wire::failover::{MessageType, RejectReason};

const NAME: &str = "fo-test";

fn line(rest: &str) -> String {
    format!("failover peer {NAME}: {rest}")
}

/// Asserts `lines` appear in server `i`'s log in this order.
fn assert_in_order(pair: &Pair, i: usize, lines: &[String]) {
    let mut from = 0;
    for l in lines {
        match pair.servers[i].log_pos(l, from) {
            Some(p) => from = p + 1,
            None => panic!("server {i}: {l:?} missing or out of order\n{}", pair.dump()),
        }
    }
}

/// A fresh pair brought to normal on both sides.
pub fn normal_pair(n: u8) -> Pair {
    let mut pair = Pair::new(n, 7);
    pair.start(0);
    pair.start(1);
    let ok = pair.run_until_cond(120, |p| p.states() == [Some(S::Normal), Some(S::Normal)]);
    assert!(
        ok,
        "fresh pair did not reach normal: {:?}\n{}",
        pair.states(),
        pair.dump()
    );
    pair.run_for(5);
    pair
}

#[test]
fn fresh_pair_reaches_normal_through_recover() {
    let pair = normal_pair(20);
    for i in 0..2 {
        assert_in_order(
            &pair,
            i,
            &[
                line("I move from recover to startup"),
                line("peer moves from unknown-state to recover"),
                line("requesting full update from peer"),
                line("I move from startup to recover"),
                "Sent update request all message to fo-test".into(),
                line("peer update completed."),
                line("I move from recover to recover-done"),
                line("I move from recover-done to normal"),
            ],
        );
        assert!(pair.servers[i].logged(&line("Both servers normal")), "{}", pair.dump());
        // No MCLT wait: the peer was in recover too.
        assert!(!pair.servers[i].moves.iter().any(|m| m.2 == S::RecoverWait));
    }
    assert!((0..2).any(|i| pair.servers[i].logged("Both servers have entered recover-done!")));
    // UPDREQALL both ways (ISC sends two), each answered by an UPDDONE
    // echoing the xid of a request from the other side.
    for i in 0..2 {
        let reqs: Vec<u32> = pair
            .sent(1 - i, MessageType::UpdReqAll)
            .iter()
            .map(|s| s.message().xid)
            .collect();
        assert!(reqs.len() >= 2, "server {} sent {} UPDREQALL", 1 - i, reqs.len());
        let dones = pair.sent(i, MessageType::UpdDone);
        assert!(!dones.is_empty());
        assert!(dones.iter().all(|d| reqs.contains(&d.message().xid)));
    }
    // Every lease was exchanged as BNDUPD(free) during recovery.
    let free_updates = |i: usize| {
        pair.sent(i, MessageType::BndUpd)
            .iter()
            .filter(|s| s.message().options.binding_status == Some(crate::wire::failover::BindingState::Free))
            .count()
    };
    assert!(free_updates(0) >= 20 && free_updates(1) >= 20);
    // The primary then gave half the free leases away as BACKUP.
    assert!(pair.servers[0]
        .logged("balancing pool 55a12dd84ee0 10.50.0.0/24  total 20  free 20  backup 0  lts 10  max-own (+/-)2"));
    assert!(pair.servers[0]
        .logged("balanced pool 55a12dd84ee0 10.50.0.0/24  total 20  free 10  backup 10  lts 0  max-misbal 3"));
    let backups = pair
        .sent(0, MessageType::BndUpd)
        .iter()
        .filter(|s| s.message().options.binding_status == Some(crate::wire::failover::BindingState::Backup))
        .count();
    assert_eq!(backups, 10);
    for i in 0..2 {
        let c = pair.servers[i].table.counts(PoolId(0));
        assert_eq!((c.free, c.backup), (10, 10), "server {i}");
        assert_eq!(pair.servers[i].peer().pending_updates(), 0);
    }
    // Both lease tables agree lease by lease.
    for l in pair.servers[0].table.leases() {
        assert_eq!(pair.servers[1].table.get(l.ip).unwrap().binding_state, l.binding_state);
    }
    // The secondary learnt MCLT from CONNECT and persists it.
    assert_eq!(pair.servers[1].persisted.as_ref().unwrap().mclt, Some(60));
    assert_eq!(pair.servers[0].persisted.as_ref().unwrap().mclt, None);
}

#[test]
fn both_dial_but_one_link_wins() {
    let pair = normal_pair(4);
    // Any second connection was refused as a duplicate; CONTACTs flow on the
    // one link while idle.
    let contacts = pair.sent(0, MessageType::Contact).len() + pair.sent(1, MessageType::Contact).len();
    let mut p = pair;
    p.run_for(60);
    let later = p.sent(0, MessageType::Contact).len() + p.sent(1, MessageType::Contact).len();
    assert!(
        later >= contacts + 10,
        "keepalives every 10 s each way: {contacts} -> {later}"
    );
    assert_eq!(p.states(), [Some(S::Normal), Some(S::Normal)]);
}

#[test]
fn restart_of_one_side_returns_to_normal() {
    let mut pair = normal_pair(10);
    let mark = [pair.servers[0].log.len(), pair.servers[1].log.len()];
    pair.crash(1);
    pair.run_for(10);
    assert_eq!(pair.states()[0], Some(S::CommunicationsInterrupted));
    pair.start(1);
    let ok = pair.run_until_cond(60, |p| p.states() == [Some(S::Normal), Some(S::Normal)]);
    assert!(ok, "{:?}\n{}", pair.states(), pair.dump());
    let log0 = &pair.servers[0];
    assert!(log0.log_pos(&format!("peer {NAME}: disconnected"), mark[0]).is_some());
    assert!(log0
        .log_pos(&line("I move from normal to communications-interrupted"), mark[0])
        .is_some());
    assert!(log0
        .log_pos(&line("I move from communications-interrupted to normal"), mark[0])
        .is_some());
    assert_in_order(
        &pair,
        1,
        &[
            line("I move from normal to startup"),
            line("I move from startup to normal"),
        ],
    );
    let _ = mark[1];
}

#[test]
fn lost_connection_interrupts_and_heals() {
    let mut pair = normal_pair(10);
    pair.reset_links();
    pair.settle();
    assert_eq!(
        pair.states(),
        [Some(S::CommunicationsInterrupted), Some(S::CommunicationsInterrupted)]
    );
    // Redial after 5 s.
    let ok = pair.run_until_cond(10, |p| p.states() == [Some(S::Normal), Some(S::Normal)]);
    assert!(ok, "{}", pair.dump());
    assert!(pair.time - T0 > 0);
}

#[test]
fn partition_times_out_on_receive_timer_then_heals() {
    let mut pair = normal_pair(10);
    pair.partitioned = true;
    let t = pair.time;
    let ok = pair.run_until_cond(60, |p| {
        p.states() == [Some(S::CommunicationsInterrupted), Some(S::CommunicationsInterrupted)]
    });
    assert!(ok);
    // max-response-delay (30 s) after the last message heard, a CONTACT at
    // most 10 s before the partition.
    assert!(pair.time - t >= 20 && pair.time - t <= 30, "{}", pair.time - t);
    assert!(pair.servers[0].logged(&format!("timeout waiting for failover peer {NAME}")));
    pair.run_for(20);
    pair.partitioned = false;
    let ok = pair.run_until_cond(30, |p| p.states() == [Some(S::Normal), Some(S::Normal)]);
    assert!(ok, "{}", pair.dump());
}

#[test]
fn auto_partner_down_after_the_configured_time() {
    let mut p = super::test_config(crate::failover::state::Role::Primary);
    p.auto_partner_down = 100;
    let mut pair = Pair::with_configs(p, super::test_config(crate::failover::state::Role::Secondary), 4, 3);
    pair.start(0);
    pair.start(1);
    assert!(pair.run_until_cond(60, |p| p.states() == [Some(S::Normal), Some(S::Normal)]));
    pair.crash(1);
    pair.settle();
    let t = pair.time;
    assert!(pair.run_until_cond(200, |p| p.states()[0] == Some(S::PartnerDown)));
    assert_eq!(pair.time - t, 100);
}

#[test]
fn partner_down_then_recover_waits_mclt() {
    let mut pair = normal_pair(10);
    let secondary_normal_since = pair.servers[1].peer().state().since;
    pair.crash(1);
    pair.settle();
    pair.with_peer(0, |p, t, now| p.set_state(now, S::PartnerDown, t));
    assert_eq!(pair.states()[0], Some(S::PartnerDown));
    let pd_since = pair.servers[0].peer().state().since;
    // The secondary's BACKUP leases become the primary's only after MCLT.
    let rel = pair.servers[0].peer().relationship();
    let backup = pair.servers[0]
        .table
        .leases()
        .find(|l| l.binding_state == BindingState::Backup)
        .unwrap()
        .clone();
    assert!(!binding::may_allocate(&backup, &rel, pd_since + 60));
    assert!(binding::may_allocate(&backup, &rel, pd_since + 61));
    // Restart the secondary soon enough that its old stos + MCLT lies ahead.
    pair.time = pair.time.max(secondary_normal_since + 10);
    pair.start(1);
    let ok = pair.run_until_cond(120, |p| p.states() == [Some(S::Normal), Some(S::Normal)]);
    assert!(ok, "{:?}\n{}", pair.states(), pair.dump());
    assert_in_order(
        &pair,
        1,
        &[
            line("I move from normal to startup"),
            line("peer moves from normal to partner-down"),
            line("I move from startup to recover"),
            "Sent update request all message to fo-test".into(),
            line("peer update completed."),
            line("I move from recover to recover-wait"),
            line("I move from recover-wait to recover-done"),
            line("I move from recover-done to normal"),
        ],
    );
    assert_in_order(&pair, 0, &[line("I move from partner-down to normal")]);
    // recover-wait ended at the old stos + MCLT.
    let rw = pair.servers[1].moves.iter().rfind(|m| m.2 == S::RecoverDone).unwrap();
    assert_eq!(rw.0, secondary_normal_since + 60);
}

#[test]
fn partner_down_while_linked_resolves_potential_conflict() {
    let mut pair = normal_pair(10);
    pair.with_peer(0, |p, t, now| p.set_state(now, S::PartnerDown, t));
    let ok = pair.run_until_cond(30, |p| p.states() == [Some(S::Normal), Some(S::Normal)]);
    assert!(ok, "{}", pair.dump());
    assert_in_order(
        &pair,
        1,
        &[
            line("I move from normal to potential-conflict"),
            line("I move from potential-conflict to normal"),
        ],
    );
    assert_in_order(
        &pair,
        0,
        &[
            line("I move from normal to partner-down"),
            line("I move from partner-down to potential-conflict"),
            "Sent update request message to fo-test".into(),
            line("peer update completed."),
            line("I move from potential-conflict to conflict-done"),
            line("I move from conflict-done to normal"),
        ],
    );
    assert!(pair.servers[1].logged("Sent update request message to fo-test"));
}

#[test]
fn dueling_updates_primary_wins_a_tie() {
    let mut pair = normal_pair(10);
    // Find a client the primary serves.
    let mut n = 1;
    let (c, ip) = loop {
        let c = SimClient::new(n, pair.time);
        if let Answer::Ack(ip, _) = dhcp::discover(&mut pair, 0, &c.id, 600) {
            break (c, ip);
        }
        n += 1;
    };
    pair.settle();
    pair.run_for(5);
    // Both renew the same client in the same second with different times;
    // the updates cross on the wire.
    pair.partitioned = true;
    assert!(matches!(dhcp::renew(&mut pair, 0, &c.id, ip, 300), Answer::Ack(..)));
    assert!(matches!(dhcp::renew(&mut pair, 1, &c.id, ip, 200), Answer::Ack(..)));
    pair.partitioned = false;
    pair.settle();
    let rejected =
        format!("bind update on {ip} from {NAME} rejected: incoming update is less critical than outgoing update");
    assert!(pair.servers[1].logged(&rejected), "{}", pair.dump());
    let acks = pair.sent(0, MessageType::BndAck);
    assert!(acks
        .iter()
        .any(|a| a.message().options.reject_reason == Some(RejectReason::LessCritBindInfo)));
    let l0 = pair.servers[0].table.get(ip).unwrap().clone();
    let l1 = pair.servers[1].table.get(ip).unwrap().clone();
    assert_eq!((l0.ends, l0.binding_state), (l1.ends, l1.binding_state));
}

#[test]
#[ignore]
fn show_fresh_pair_log() {
    let pair = normal_pair(4);
    println!("{}", pair.dump());
    for s in &pair.trace {
        let m = s.message();
        println!(
            "+{} {} {:?} xid {} {:?} {:?} {:?}",
            s.time - T0,
            s.from,
            m.kind,
            m.xid,
            m.options.assigned_addr,
            m.options.binding_status,
            m.options.reject_reason
        );
    }
}

#[test]
fn persisted_state_survives_the_lease_file_and_a_restart() {
    use crate::lease::{file, write};
    let mut pair = normal_pair(10);
    let rec = pair.servers[1].persisted.clone().unwrap();
    let mut text = Vec::new();
    write::failover_state(&mut text, &rec, &write::WriteOptions::default()).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.starts_with("\nfailover peer \"fo-test\" state {\n  my state normal at "),
        "{text}"
    );
    assert!(
        text.contains("\n  partner state normal at ") && text.ends_with("\n  mclt 60;\n}\n"),
        "{text}"
    );
    let log = file::read_lease_file("dhcpd.leases", text.as_bytes(), file::ReadOptions::at(pair.time)).unwrap();
    let back = log.state().failover.pop().unwrap();
    assert_eq!(back, rec);
    // A restart from that record keeps the state and its start time.
    pair.crash(1);
    pair.servers[1].persisted = Some(back);
    pair.run_for(3);
    pair.start(1);
    assert!(pair.run_until_cond(30, |p| p.states() == [Some(S::Normal), Some(S::Normal)]));
    assert_in_order(
        &pair,
        1,
        &[
            line("I move from normal to startup"),
            line("I move from startup to normal"),
        ],
    );
}

#[test]
fn clocks_too_far_apart_refuse_the_connection() {
    let mut pair = Pair::new(4, 5);
    pair.clock_offset[1] = 90;
    pair.start(0);
    pair.start(1);
    pair.run_for(30);
    assert!(
        pair.servers[1].logged("Failover CONNECT from fo-test: time offset too large"),
        "{}",
        pair.dump()
    );
    assert!(
        pair.servers[0].logged("Failover CONNECT to fo-test rejected: Connection rejected, time mismatch too great.")
    );
    // Startup ended alone after 15 s; neither side ever linked.
    assert_eq!(pair.states(), [Some(S::Recover), Some(S::Recover)]);
    assert!(pair.sent(1, MessageType::State).is_empty());
}

#[test]
fn a_wall_clock_step_moves_no_deadline() {
    let mut pair = normal_pair(4);
    // The secondary's wall clock jumps back an hour while linked: the
    // protocol checks clocks only in the handshake, and every keepalive and
    // timeout runs on the monotonic clock.
    pair.clock_offset[1] = -3600;
    pair.run_for(300);
    assert_eq!(pair.states(), [Some(S::Normal), Some(S::Normal)]);
    assert!(!pair.servers[0].logged(&format!("timeout waiting for failover peer {NAME}")));
    // A new connection is refused until the clocks agree again.
    pair.reset_links();
    pair.run_for(30);
    assert_eq!(
        pair.states(),
        [Some(S::CommunicationsInterrupted), Some(S::CommunicationsInterrupted)]
    );
    pair.clock_offset[1] = 0;
    assert!(pair.run_until_cond(30, |p| p.states() == [Some(S::Normal), Some(S::Normal)]));
}
