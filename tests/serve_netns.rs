//! `dhcpd` serving real clients inside network namespaces this test creates
//! (see `netlab`); no traffic leaves them. Needs root, iproute2 and the
//! clients named per case (busybox, dhclient, dhcpcd, dhcrelay, ISC dhcpd);
//! a case that cannot run is reported as SKIPPED, loudly, never as passed.
//!
//! * `clients` — ISC dhclient, busybox udhcpc and dhcpcd acquire (with the
//!   configured options), renew at T1 by unicast, rebind at T2 by broadcast
//!   when the server is unreachable by unicast, and release;
//! * `relay` — a client on a second segment through ISC `dhcrelay`;
//! * `bootp` — a crafted BOOTREQUEST served from `dynamic-bootp` and refused
//!   under `deny dynamic bootp clients`;
//! * `restart` — SIGTERM leaves every ACKed lease on disk; a restart and
//!   then ISC dhcpd on our lease file give every client its address again;
//! * `failover` — a pool whose failover peer cannot be reached: startup,
//!   then communications-interrupted with MCLT-capped leases;
//! * `omapi` — a host made with `omshell` is served at once and kept across
//!   a restart; the client's lease is found; the control object stops us;
//! * `ping` — ping-check over the real ICMP socket abandons an address that
//!   answers;
//! * `hostile` — malformed frames and a DISCOVER flood: no panic, bounded
//!   memory, still serving.

mod netlab;
#[path = "serve_netns/bootp.rs"]
mod bootp;
#[path = "serve_netns/clients.rs"]
mod clients;
#[path = "serve_netns/common.rs"]
mod common;
#[path = "serve_netns/failover.rs"]
mod failover;
#[path = "serve_netns/hostile.rs"]
mod hostile;
#[path = "serve_netns/omapi.rs"]
mod omapi;
#[path = "serve_netns/ping.rs"]
mod ping;
#[path = "serve_netns/relay.rs"]
mod relay;
#[path = "serve_netns/restart.rs"]
mod restart;

use common::Outcome;

struct Case {
    name: &'static str,
    needs: &'static [&'static str],
    run: fn() -> Outcome,
}

const CASES: &[Case] = &[
    Case { name: "udhcpc_lease_cycle", needs: &["busybox"], run: clients::udhcpc_lease_cycle },
    Case { name: "dhclient_lease_cycle", needs: &["dhclient"], run: clients::dhclient_lease_cycle },
    Case { name: "dhcpcd_lease_cycle", needs: &["dhcpcd", "mount"], run: clients::dhcpcd_lease_cycle },
    Case { name: "through_dhcrelay", needs: &["dhcrelay", "busybox", "sysctl"], run: relay::through_dhcrelay },
    Case { name: "bootp_allowed_and_denied", needs: &[], run: bootp::bootp_allowed_and_denied },
    Case { name: "restart_and_isc_keep_every_lease", needs: &["busybox", "dhcpd"], run: restart::restart_and_isc_keep_every_lease },
    Case { name: "sigterm_keeps_every_acked_lease", needs: &["busybox"], run: restart::sigterm_keeps_every_acked_lease },
    Case { name: "failover_peer_unreachable", needs: &["busybox"], run: failover::failover_peer_unreachable },
    Case { name: "omshell_host_is_served", needs: &["busybox", "omshell"], run: omapi::omshell_host_is_served },
    Case { name: "ping_check_skips_an_address_in_use", needs: &["busybox"], run: ping::ping_check_skips_an_address_in_use },
    Case { name: "hostile_frames_and_a_flood", needs: &["busybox"], run: hostile::hostile_frames_and_a_flood },
];

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for case in CASES.iter().filter(|c| filter.as_deref().map_or(true, |f| c.name.contains(f))) {
        if let Some(why) = netlab::prerequisites(case.needs) {
            println!("test {} ... SKIPPED: {why}", case.name);
            eprintln!("!!!!! serve_netns: {} NOT RUN: {why} !!!!!", case.name);
            skipped += 1;
            continue;
        }
        let started = std::time::Instant::now();
        match std::panic::catch_unwind(case.run) {
            Ok(Ok(())) => {
                println!("test {} ... ok ({:.1} s)", case.name, started.elapsed().as_secs_f64());
                passed += 1;
            }
            Ok(Err(msg)) => {
                println!("test {} ... FAILED\n{msg}", case.name);
                failed += 1;
            }
            Err(_) => {
                println!("test {} ... FAILED (panicked)", case.name);
                failed += 1;
            }
        }
    }
    println!("\nserve_netns: {passed} passed, {failed} failed, {skipped} skipped");
    std::process::exit(if failed > 0 { 1 } else { 0 });
}
