//! Commit throughput of the lease store: leases per second made durable
//! (written and fsynced) one at a time, as ISC does, and in groups that
//! share one write and one fsync.
//!
//! Usage: `lease_commit_bench [DIR] [SINGLE] [GROUPED]` (defaults: the
//! system temp dir, 2,000 single commits, 100,000 grouped leases). The
//! figures depend on the disk's fsync latency, so run it on the disk that
//! holds `/var/lib/dhcp`. `benches/bench_leases.sh` runs it in release mode.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use dhcpd::lease::journal::Policy;
use dhcpd::lease::records::Record;
use dhcpd::lease::store::{LeaseStore, StoreOptions};
use dhcpd::lease::write::Rewrite;
use dhcpd::lease::{BindingState, HardwareAddr, Lease};

fn lease(n: u32, now: i64) -> Record {
    let mut l = Lease::new(Ipv4Addr::from(0x0a00_0000 + (n % 1_000_000)));
    l.starts = now;
    l.ends = now + 600;
    l.tstp = l.ends;
    l.cltt = now;
    l.binding_state = BindingState::Active;
    l.next_binding_state = BindingState::Free;
    l.hardware =
        Some(HardwareAddr { htype: 1, addr: vec![2, 0, (n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8, n as u8] });
    l.uid = Some(vec![1, 2, 0, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    l.client_hostname = Some(format!("host-{}", n).into_bytes());
    Record::Lease(l)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let single: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let grouped: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let dir = dir.join(format!("lease-commit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench directory");
    let path = dir.join("dhcpd.leases");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;

    // One write + one fsync per lease (ISC's commit_leases after each write).
    let (mut store, _) =
        LeaseStore::create(&path, &Rewrite::default(), StoreOptions::default(), Instant::now()).expect("store");
    let t = Instant::now();
    for n in 0..single {
        store.commit(&lease(n, now), Instant::now()).expect("commit");
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "single commits: {} leases in {:.2} s = {:.0} leases/s (one fsync each)",
        single,
        secs,
        single as f64 / secs
    );
    drop(store);

    // Group commit: the caller queues a batch, one flush covers it.
    for batch in [16u32, 64, 256, 1024] {
        let opts = StoreOptions { policy: Policy::group(Duration::from_millis(5)), ..StoreOptions::default() };
        let (mut store, _) = LeaseStore::create(&path, &Rewrite::default(), opts, Instant::now()).expect("store");
        let t = Instant::now();
        let mut n = 0;
        let mut fsyncs = 0;
        while n < grouped {
            for _ in 0..batch.min(grouped - n) {
                store.append(&lease(n, now), Instant::now()).expect("append");
                n += 1;
            }
            let f = store.flush(Instant::now()).expect("flush");
            assert_eq!(f.durable.0, u64::from(n));
            fsyncs += 1;
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "group commit, {:>4} per fsync: {} leases in {:.2} s = {:.0} leases/s ({} fsyncs)",
            batch,
            grouped,
            secs,
            grouped as f64 / secs,
            fsyncs
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
