//! How long a lease is granted (ISC `ack_lease`'s arithmetic), as pure
//! functions so each rule can be tested on its own.
//!
//! * The client's requested time (option 51) replaces
//!   `default-lease-time` (43200); above `max-lease-time` (86400) it is cut
//!   to the maximum.
//! * `min-lease-time` (300, or the maximum when that is smaller) raises a
//!   short time; a configured minimum of 0 raises it to the default
//!   instead.
//! * `adaptive-lease-time-threshold` P: when a pool is at least P% used,
//!   times longer than max(min, what the client has left) are cut to it.
//! * A pool's `deny after` date caps the time.
//! * With a failover partner, a time above MCLT is cut to MCLT unless the
//!   partner already acknowledged a later expiry (tsfp).
//! * `dhcp-cache-threshold` T%: a renewal arriving within T% of the
//!   current lease's length gets the unchanged lease back.

/// ISC `DEFAULT_DEFAULT_LEASE_TIME`.
pub const DEFAULT_LEASE_TIME: i64 = 43_200;
/// ISC `DEFAULT_MAX_LEASE_TIME`.
pub const DEFAULT_MAX_LEASE_TIME: i64 = 86_400;
/// ISC `DEFAULT_MIN_LEASE_TIME`.
pub const DEFAULT_MIN_LEASE_TIME: i64 = 300;
/// ISC `DEFAULT_CACHE_THRESHOLD` (percent).
pub const DEFAULT_CACHE_THRESHOLD: i64 = 25;
/// ISC `INFINITE_TIME`.
pub const INFINITE_TIME: i64 = 0xffff_ffff;
/// ISC `MAX_TIME`.
pub const MAX_TIME: i64 = 0x7fff_ffff;

/// Pool usage for `adaptive-lease-time-threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Adaptive {
    /// The threshold, percent (1..=99).
    pub threshold: i64,
    /// Leases in the pool.
    pub lease_count: i64,
    /// Leases neither free nor backup.
    pub used: i64,
    /// Seconds the client's current lease has left (`ends - now`).
    pub remaining: i64,
}

/// The configured and requested values the time depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inputs {
    /// `default-lease-time`.
    pub default: i64,
    /// The client's option 51, when four bytes long.
    pub requested: Option<i64>,
    /// `max-lease-time`.
    pub max: i64,
    /// `min-lease-time`, when set.
    pub min: Option<i64>,
    /// Pool usage, when adaptive lease times are on.
    pub adaptive: Option<Adaptive>,
    /// Seconds until the pool's `deny after` date, when it has one.
    pub until: Option<i64>,
}

/// The computed time and the lines ISC logs on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Computed {
    /// Seconds.
    pub lease_time: i64,
    /// ISC's `Pool over threshold, ...` line (info) when it applied.
    pub reduced: Option<(i64, i64)>,
    /// ISC's `Adap-lease: ...` debug values: total, free, ends, adaptive,
    /// fill, threshold.
    pub adaptive_debug: Option<[i64; 6]>,
}

/// ISC's lease-time arithmetic up to (not including) the failover clamp.
pub fn compute(i: &Inputs) -> Computed {
    let mut lease_time = i.requested.unwrap_or(i.default);
    if lease_time < 0 || lease_time > i.max {
        lease_time = i.max;
    }
    let min = i.min.unwrap_or(DEFAULT_MIN_LEASE_TIME.min(i.max));
    let mut reduced = None;
    let mut adaptive_debug = None;
    if let Some(a) = i.adaptive.filter(|a| a.threshold > 0 && a.threshold < 100 && a.lease_count > 0) {
        let mut adaptive_time = if min != 0 { min } else { DEFAULT_MIN_LEASE_TIME };
        if a.remaining > adaptive_time {
            adaptive_time = a.remaining;
        }
        let filled = if a.used > i64::from(i32::MAX) / 100 {
            a.used / (a.lease_count / 100).max(1)
        } else {
            a.used * 100 / a.lease_count
        };
        adaptive_debug = Some([a.lease_count, a.lease_count - a.used, a.remaining, adaptive_time, filled, a.threshold]);
        if filled >= a.threshold && lease_time > adaptive_time {
            reduced = Some((lease_time, adaptive_time));
            lease_time = adaptive_time;
        }
    }
    if let Some(rem) = i.until {
        if lease_time > rem {
            lease_time = rem;
        }
    }
    if lease_time < min {
        lease_time = if min != 0 { min } else { i.default };
    }
    Computed { lease_time, reduced, adaptive_debug }
}

/// The failover clamp: (time granted, time the lease may last as told
/// to the partner). `tsfp` is the partner's acknowledged expiry.
pub fn failover_clamp(lease_time: i64, mclt: i64, tsfp: i64, now: i64) -> i64 {
    if lease_time <= mclt {
        return lease_time;
    }
    if tsfp <= now {
        mclt
    } else if now + lease_time > tsfp + mclt {
        tsfp - now + mclt
    } else {
        lease_time
    }
}

/// ISC `leaseTimeCheck`: a time past the 32-bit range or before `now`
/// becomes `alternate`.
pub fn time_check(calculated: i64, alternate: i64, now: i64) -> i64 {
    if calculated >= INFINITE_TIME || calculated < now {
        alternate
    } else {
        calculated
    }
}

/// When a lease of `lease_time` seconds granted at `now` ends.
pub fn offered_expiry(lease_time: i64, now: i64) -> i64 {
    if lease_time == INFINITE_TIME {
        MAX_TIME
    } else {
        time_check(now + lease_time, MAX_TIME - 1, now)
    }
}

/// ISC `reuse_lease`'s age test: whether a lease that started at
/// `starts` and ends at `ends` may be handed back unchanged at `now`
/// under a threshold of `thresh` percent. Returns the age when it may.
pub fn reusable(starts: i64, ends: i64, now: i64, thresh: i64) -> Option<i64> {
    if thresh <= 0 {
        return None;
    }
    // ISC computes in C int.
    let length = (ends - starts) as i32 as i64;
    let limit = if length <= i64::from(i32::MAX) / thresh { length * thresh / 100 } else { length / 100 * thresh };
    let age = now - starts;
    (age <= limit).then_some(age)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Inputs {
        Inputs { default: 600, requested: None, max: 7200, min: None, adaptive: None, until: None }
    }

    #[test]
    fn default_applies_without_a_request() {
        assert_eq!(compute(&inputs()).lease_time, 600);
    }

    #[test]
    fn requested_time_is_clamped_to_max_and_min() {
        assert_eq!(compute(&Inputs { requested: Some(100_000), ..inputs() }).lease_time, 7200);
        assert_eq!(compute(&Inputs { requested: Some(1000), ..inputs() }).lease_time, 1000);
        assert_eq!(compute(&Inputs { requested: Some(10), ..inputs() }).lease_time, 300);
        assert_eq!(compute(&Inputs { requested: Some(10), min: Some(60), ..inputs() }).lease_time, 60);
        // A configured minimum of 0 lets a zero time through (ISC's
        // fallback to the default needs a negative time, which a 32-bit
        // request cannot give).
        assert_eq!(compute(&Inputs { requested: Some(0), min: Some(0), ..inputs() }).lease_time, 0);
        // The built-in minimum never exceeds the maximum.
        assert_eq!(compute(&Inputs { requested: Some(10), max: 100, ..inputs() }).lease_time, 100);
    }

    #[test]
    fn adaptive_threshold_cuts_long_times() {
        let a = Adaptive { threshold: 50, lease_count: 10, used: 6, remaining: 0 };
        let c = compute(&Inputs { adaptive: Some(a), min: Some(120), ..inputs() });
        assert_eq!(c.lease_time, 120);
        assert_eq!(c.reduced, Some((600, 120)));
        let a = Adaptive { used: 4, ..a };
        assert_eq!(compute(&Inputs { adaptive: Some(a), ..inputs() }).lease_time, 600);
    }

    #[test]
    fn pool_end_caps_time() {
        assert_eq!(compute(&Inputs { until: Some(400), ..inputs() }).lease_time, 400);
    }

    #[test]
    fn failover_grants_mclt_until_acknowledged() {
        assert_eq!(failover_clamp(600, 60, 0, 1000), 60);
        assert_eq!(failover_clamp(600, 60, 1500, 1000), 560);
        assert_eq!(failover_clamp(600, 60, 2000, 1000), 600);
        assert_eq!(failover_clamp(30, 60, 0, 1000), 30);
    }

    #[test]
    fn expiry_saturates() {
        assert_eq!(offered_expiry(INFINITE_TIME, 5), MAX_TIME);
        assert_eq!(offered_expiry(600, 1000), 1600);
        assert_eq!(offered_expiry(0xffff_fffe, 1000), MAX_TIME - 1);
    }

    #[test]
    fn cache_threshold_is_a_share_of_the_lease() {
        assert_eq!(reusable(1000, 1600, 1150, 25), Some(150));
        assert_eq!(reusable(1000, 1600, 1151, 25), None);
        assert_eq!(reusable(1000, 1600, 1001, 0), None);
    }
}
