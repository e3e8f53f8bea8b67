//! Lease times: defaults, clamps, requested times, T1/T2, and the
//! dhcp-cache-threshold reuse rule.

use super::*;

const CONF: &str = "
authoritative;
ping-check false;
default-lease-time 600;
min-lease-time 120;
max-lease-time 3600;
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.10 10.0.0.19;
}
";

fn with_time(c: &Client, secs: u32) -> Client {
    let mut c = c.clone();
    c.extra.push((51, secs.to_be_bytes().to_vec()));
    c
}

#[test]
fn requested_time_is_clamped() {
    let mut e = engine(CONF);
    let c = Client::new(1);
    assert_eq!(reply(&send(&mut e, T0, &with_time(&c, 100_000).discover())).lease_time(), Some(3600));
    assert_eq!(reply(&send(&mut e, T0, &with_time(&c, 1000).discover())).lease_time(), Some(1000));
    assert_eq!(reply(&send(&mut e, T0, &with_time(&c, 10).discover())).lease_time(), Some(120));
    assert_eq!(reply(&send(&mut e, T0, &c.discover())).lease_time(), Some(600));
}

#[test]
fn renewal_and_rebinding_times_are_kept_below_the_lease_time() {
    let conf = CONF.replace("default-lease-time 600;", "default-lease-time 600; option dhcp-renewal-time 300; option dhcp-rebinding-time 500;");
    let mut e = engine(&conf);
    let c = Client::new(1);
    let got = reply(&send(&mut e, T0, &c.discover()));
    assert_eq!(got.codes(), vec![53, 54, 51, 58, 59, 1]);
    // A lease shorter than T2 loses T2; T1 is then checked against the lease.
    let got = reply(&send(&mut e, T0, &with_time(&c, 400).discover()));
    assert_eq!(got.codes(), vec![53, 54, 51, 58, 1]);
    let got = reply(&send(&mut e, T0, &with_time(&c, 200).discover()));
    assert_eq!(got.codes(), vec![53, 54, 51, 1]);
}

#[test]
fn young_lease_is_reused_unchanged() {
    let mut e = engine(CONF);
    let c = Client::new(1);
    let (a, _) = dora(&mut e, T0, &c);
    // 25% of 600 s: a renewal 100 s in gets the same lease, not rewritten.
    let out = send_from(&mut e, T0 + 100, a, &c.renew(a));
    assert!(out.lease_changes.is_empty(), "reused lease is not written");
    assert_eq!(reply(&out).lease_time(), Some(500));
    assert!(lines(&out).contains(&format!(
        "reuse_lease: lease age 100 (secs) under 25% threshold, reply with unaltered, existing lease for {a}"
    )));
    // Past 150 s the lease is renewed and written.
    let out = send_from(&mut e, T0 + 151, a, &c.renew(a));
    assert_eq!(out.lease_changes.len(), 1);
    assert_eq!(out.lease_changes[0].ends, T0 + 151 + 600);
    assert_eq!(reply(&out).lease_time(), Some(600));
}

#[test]
fn reuse_can_be_turned_off() {
    let mut e = engine(&CONF.replace("authoritative;", "authoritative; dhcp-cache-threshold 0;"));
    let c = Client::new(1);
    let (a, _) = dora(&mut e, T0, &c);
    let out = send_from(&mut e, T0 + 10, a, &c.renew(a));
    assert_eq!(out.lease_changes.len(), 1);
    assert_eq!(reply(&out).lease_time(), Some(600));
}

#[test]
fn adaptive_threshold_shortens_leases_of_a_full_pool() {
    let conf = CONF.replace("authoritative;", "authoritative; adaptive-lease-time-threshold 20;");
    let mut e = engine(&conf);
    dora(&mut e, T0, &Client::new(1));
    dora(&mut e, T0, &Client::new(2));
    let out = send(&mut e, T0, &Client::new(3).discover());
    assert_eq!(reply(&out).lease_time(), Some(120));
    assert!(lines(&out).contains(&"Pool over threshold, time for 10.0.0.12 reduced from 600 to 120.".to_string()));
}
