//! Pool balancing: how many free leases the primary hands to the secondary
//! (and back), which ones, when to look again, and ISC's log lines about it
//! (`dhcp_failover_pool_dobalance`, `dhcp_failover_pool_check`,
//! `secondary_not_hoarding`; reference §1.16).
//!
//! All arithmetic is ISC's C `int` arithmetic: division truncates toward
//! zero, which Rust's `/` on signed integers also does. Pure functions; the
//! peer feeds them the pool's counts and free queue from the lease table.

use std::net::Ipv4Addr;

use crate::failover::state::Role;
use crate::lease::Time;

/// The counts of one pool that balancing reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolCounts {
    /// Every lease of the pool, whatever its state (ISC `lease_count`).
    pub lease_count: i64,
    /// FREE leases that are not reserved.
    pub free: i64,
    /// BACKUP leases that are not reserved.
    pub backup: i64,
}

/// The relationship's balancing settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceSettings {
    /// `max-lease-misbalance` (percent).
    pub max_lease_misbalance: i64,
    /// `max-lease-ownership` (percent).
    pub max_lease_ownership: i64,
    /// `min-balance` (seconds).
    pub min_balance: Time,
    /// `max-balance` (seconds).
    pub max_balance: Time,
}

/// `(total * percent + 50) / 100`, ISC's rounding of a share of the pool.
pub fn share(total: i64, percent: i64) -> i64 {
    (total * percent + 50) / 100
}

/// The figures of one balancing run, before any lease moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Leases to send: positive = I have too many.
    pub lts: i64,
    /// The misbalance tolerated before logging IMBALANCED.
    pub thresh: i64,
    /// The excess one side may hold.
    pub hold: i64,
    /// Below this lts a timer-driven run asks the peer with POOLREQ.
    pub panic: i64,
}

/// ISC's figures for a pool with `counts`, seen from `role`.
pub fn plan(role: Role, counts: PoolCounts, s: &BalanceSettings) -> Plan {
    let lts = match role {
        Role::Primary => (counts.free - counts.backup) / 2,
        Role::Secondary => (counts.backup - counts.free) / 2,
    };
    let total = counts.free + counts.backup;
    let thresh = share(total, s.max_lease_misbalance);
    let hold = share(total, s.max_lease_ownership);
    let panic = match thresh * -2 {
        0 => -1,
        p => p,
    };
    Plan {
        lts,
        thresh,
        hold,
        panic,
    }
}

/// A lease on my free queue, as the walk sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The lease.
    pub ip: Ipv4Addr,
    /// Whether it was ever used (`ends != 0`).
    pub used: bool,
    /// Whether its last client hashes to the peer (`peer_wants_lease`).
    pub peer_wants: bool,
}

/// The two-pass walk over my free queue (oldest first): first the leases
/// whose clients belong to the peer, until the peer holds its share plus
/// `hold`; then any lease, used ones until I keep `hold` extra, never-used
/// ones until even. Returns the leases to give and the final lts.
pub fn choose_gifts(queue: &[Candidate], plan: &Plan) -> (Vec<Ipv4Addr>, i64) {
    let mut lts = plan.lts;
    let hold = plan.hold;
    let mut given = vec![false; queue.len()];
    // ISC enters the second pass only by running off the end of the first.
    let mut first_pass_done = true;
    for (i, c) in queue.iter().enumerate() {
        if lts <= -hold {
            first_pass_done = false;
            break;
        }
        if c.peer_wants {
            lts -= 1;
            given[i] = true;
        }
    }
    if first_pass_done {
        for (i, c) in queue.iter().enumerate() {
            if given[i] {
                continue;
            }
            let stop = if c.used { lts <= hold } else { lts <= 0 };
            if stop {
                break;
            }
            lts -= 1;
            given[i] = true;
        }
    }
    let gifts = queue.iter().zip(given).filter(|(_, g)| *g).map(|(c, _)| c.ip).collect();
    (gifts, lts)
}

/// `balancing pool ...` (info), with `  (requesting peer rebalance!)` when a
/// timer-driven run will send POOLREQ. Note ISC's two spaces between fields.
pub fn balancing_line(pool: u64, network: &str, counts: PoolCounts, plan: &Plan, requesting: bool) -> String {
    format!(
        "balancing pool {pool:x} {network}  total {}  free {}  backup {}  lts {}  max-own (+/-){}{}",
        counts.lease_count,
        counts.free,
        counts.backup,
        plan.lts,
        plan.hold,
        if requesting {
            "  (requesting peer rebalance!)"
        } else {
            ""
        }
    )
}

/// `balanced pool ...` (info) or `IMBALANCED pool ...` (error) after the
/// run; the bool is true for the error.
pub fn balanced_line(pool: u64, network: &str, counts: PoolCounts, lts: i64, thresh: i64) -> (bool, String) {
    let imbalanced = lts > thresh;
    let line = format!(
        "{} pool {pool:x} {network}  total {}  free {}  backup {}  lts {lts}  max-misbal {thresh}",
        if imbalanced { "IMBALANCED" } else { "balanced" },
        counts.lease_count,
        counts.free,
        counts.backup,
    );
    (imbalanced, line)
}

/// ISC's `secondary_not_hoarding`: the primary may send a lease to BACKUP
/// for MAC affinity only while the secondary holds less than its share.
pub fn secondary_not_hoarding(counts: PoolCounts, max_lease_ownership: i64) -> bool {
    let hold = share(counts.free + counts.backup, max_lease_ownership);
    (counts.free - counts.backup) / 2 > -hold
}

/// When to rebalance next (`dhcp_failover_pool_check`), from the `ends` of
/// the oldest free and backup leases. `jitter` is ISC's `random() % 5`
/// (0..=4). The caller keeps the earlier of this and any time already set.
pub fn next_balance(
    oldest_free: Option<Time>,
    oldest_backup: Option<Time>,
    role: Role,
    s: &BalanceSettings,
    now: Time,
    last_balance: Time,
    jitter: Time,
) -> Time {
    let age = |ends: Option<Time>| match ends {
        Some(e) if e < now => now - e,
        _ => 0,
    };
    let mut est1 = share(age(oldest_free), s.max_lease_misbalance);
    let mut est2 = share(age(oldest_backup), s.max_lease_misbalance);
    match role {
        Role::Primary => est1 *= 2,
        Role::Secondary => est2 *= 2,
    }
    let mut at = now + est1.min(est2).min(s.max_balance);
    if last_balance != 0 && at < last_balance + s.min_balance {
        at = last_balance + s.min_balance;
    }
    at + jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: BalanceSettings = BalanceSettings {
        max_lease_misbalance: 15,
        max_lease_ownership: 10,
        min_balance: 60,
        max_balance: 3600,
    };

    fn virgin(n: u8) -> Vec<Candidate> {
        (0..n)
            .map(|i| Candidate {
                ip: Ipv4Addr::new(10, 50, 0, i),
                used: false,
                peer_wants: false,
            })
            .collect()
    }

    #[test]
    fn seen_fresh_pool_of_twenty() {
        let counts = PoolCounts {
            lease_count: 20,
            free: 20,
            backup: 0,
        };
        let p = plan(Role::Primary, counts, &DEFAULTS);
        assert_eq!(
            p,
            Plan {
                lts: 10,
                thresh: 3,
                hold: 2,
                panic: -6
            }
        );
        assert_eq!(
            balancing_line(0x55a1_2dd8_4ee0, "10.50.0.0/24", counts, &p, false),
            "balancing pool 55a12dd84ee0 10.50.0.0/24  total 20  free 20  backup 0  lts 10  max-own (+/-)2"
        );
        let (gifts, lts) = choose_gifts(&virgin(20), &p);
        assert_eq!((gifts.len(), lts), (10, 0));
        let after = PoolCounts {
            lease_count: 20,
            free: 10,
            backup: 10,
        };
        assert_eq!(
            balanced_line(0x55a1_2dd8_4ee0, "10.50.0.0/24", after, lts, p.thresh),
            (
                false,
                "balanced pool 55a12dd84ee0 10.50.0.0/24  total 20  free 10  backup 10  lts 0  max-misbal 3".into()
            )
        );
    }

    #[test]
    fn c_division_truncates_toward_zero() {
        let p = plan(
            Role::Primary,
            PoolCounts {
                lease_count: 3,
                free: 0,
                backup: 3,
            },
            &DEFAULTS,
        );
        assert_eq!(p.lts, -1);
        assert_eq!(p.panic, -1);
        let p = plan(
            Role::Secondary,
            PoolCounts {
                lease_count: 9,
                free: 2,
                backup: 7,
            },
            &DEFAULTS,
        );
        assert_eq!(p.lts, 2);
    }

    #[test]
    fn first_pass_gives_the_peers_clients_then_used_leases_keep_hold() {
        let mut q = virgin(10);
        for c in q.iter_mut() {
            c.used = true;
        }
        q[7].peer_wants = true;
        let p = Plan {
            lts: 5,
            thresh: 2,
            hold: 2,
            panic: -4,
        };
        let (gifts, lts) = choose_gifts(&q, &p);
        // Pass 1 gives 10.50.0.7; pass 2 gives used leases until lts <= hold.
        assert_eq!(
            gifts,
            vec![
                Ipv4Addr::new(10, 50, 0, 0),
                Ipv4Addr::new(10, 50, 0, 1),
                Ipv4Addr::new(10, 50, 0, 7)
            ]
        );
        assert_eq!(lts, 2);
        // A first pass that reaches -hold stops everything.
        let mut q = virgin(4);
        for c in q.iter_mut() {
            c.peer_wants = true;
        }
        let (gifts, lts) = choose_gifts(
            &q,
            &Plan {
                lts: 1,
                thresh: 0,
                hold: 1,
                panic: -1,
            },
        );
        assert_eq!((gifts.len(), lts), (2, -1));
    }

    #[test]
    fn imbalanced_is_an_error_line() {
        let c = PoolCounts {
            lease_count: 100,
            free: 90,
            backup: 0,
        };
        let (err, line) = balanced_line(1, "net", c, 45, 14);
        assert!(err);
        assert!(line.starts_with("IMBALANCED pool 1 net  total 100"));
        assert!(balancing_line(1, "net", c, &plan(Role::Secondary, c, &DEFAULTS), true)
            .ends_with("  (requesting peer rebalance!)"));
    }

    #[test]
    fn hoarding() {
        assert!(secondary_not_hoarding(
            PoolCounts {
                lease_count: 20,
                free: 10,
                backup: 10
            },
            10
        ));
        assert!(!secondary_not_hoarding(
            PoolCounts {
                lease_count: 20,
                free: 6,
                backup: 14
            },
            10
        ));
    }

    #[test]
    fn schedule() {
        // Virgin leases (ends 0 is in the past: age = now): capped by max-balance.
        assert_eq!(
            next_balance(Some(0), Some(0), Role::Primary, &DEFAULTS, 100_000, 0, 3),
            100_000 + 3600 + 3
        );
        // Oldest free 1000 s old: 150 s, doubled for my own side; backup 400 s old: 60 s.
        let at = next_balance(Some(99_000), Some(99_600), Role::Primary, &DEFAULTS, 100_000, 0, 0);
        assert_eq!(at, 100_060);
        // Not earlier than last balance + min-balance.
        let at = next_balance(Some(99_990), None, Role::Secondary, &DEFAULTS, 100_000, 99_990, 0);
        assert_eq!(at, 100_050);
    }
}
