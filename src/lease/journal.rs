//! When to write and fsync the lease file: group commit and ISC's rewrite
//! cadence, as a sans-IO state machine.
//!
//! Every change that must survive a crash is appended to `dhcpd.leases` and
//! made durable before the server acts on it (sends the DHCPACK, the BNDUPD,
//! the state change). ISC does one `fflush` + `fsync` per change. Under load
//! that caps a server at the disk's fsync rate, so [`Journal`] lets the
//! caller queue many records and cover them all with one write and one
//! fsync: each queued record gets a [`Seq`], a flush makes everything up to
//! some `Seq` durable, and the caller releases the replies waiting on those
//! records. Nothing is reported committed before the fsync that covers it
//! has returned.
//!
//! The journal only decides; the file layer ([`store`](super::store)) does the
//! writing. The caller drives it like this:
//!
//! * [`push`](Journal::push) the bytes of each record (from
//!   [`write::append_record`](super::write::append_record)), keeping the `Seq`;
//! * when [`should_flush`](Journal::should_flush) says so (a batch limit is
//!   reached, the oldest record has waited [`Policy::max_delay`], or the caller
//!   has run out of other work and asks), [`take_batch`](Journal::take_batch),
//!   write and fsync it, then report [`flushed`](Journal::flushed) or
//!   [`failed`](Journal::failed);
//! * arm a timer for [`next_deadline`](Journal::next_deadline).
//!
//! It also keeps ISC's rewrite rule (`commit_leases` in `server/db.c`): after
//! a successful flush, the whole file is rewritten when at least one record
//! was appended since the last rewrite and more than an hour
//! ([`Policy::rewrite_period`]) has passed since it. ISC measures that hour
//! on the wall clock; we use the caller's monotonic `Instant`, so a clock
//! step cannot cause or postpone a rewrite.
//!
//! Time comes in as an argument; nothing here reads a clock or touches a file.

use std::time::{Duration, Instant};

/// ISC's `LEASE_REWRITE_PERIOD`: rewrite the file about hourly.
pub const REWRITE_PERIOD: Duration = Duration::from_secs(3600);

/// A record's place in the append order: 1 for the first record pushed.
/// A record is durable once [`Journal::durable`] is at least its `Seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Seq(pub u64);

/// How long records may wait and how many may share one fsync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Flush when the oldest queued record has waited this long. Zero means
    /// flush at once (ISC's behaviour: every record is its own commit).
    pub max_delay: Duration,
    /// Flush when this many records are queued.
    pub max_records: usize,
    /// Flush when this many bytes are queued.
    pub max_bytes: usize,
    /// Rewrite the whole file when this much time has passed since the last
    /// rewrite and something was appended ([`REWRITE_PERIOD`] in ISC).
    pub rewrite_period: Duration,
}

impl Policy {
    /// ISC's behaviour: no batching, an hourly rewrite.
    pub const IMMEDIATE: Policy =
        Policy { max_delay: Duration::ZERO, max_records: 1, max_bytes: 0, rewrite_period: REWRITE_PERIOD };

    /// Group commit: up to `max_delay` of waiting, at most 1024 records or
    /// 1 MiB per fsync, hourly rewrite.
    pub fn group(max_delay: Duration) -> Policy {
        Policy { max_delay, max_records: 1024, max_bytes: 1 << 20, rewrite_period: REWRITE_PERIOD }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::IMMEDIATE
    }
}

/// Bytes to append and fsync as one unit.
#[must_use = "a batch must be written and then reported with flushed() or failed()"]
#[derive(Debug)]
pub struct Batch {
    /// The records' bytes, in push order.
    pub bytes: Vec<u8>,
    /// How many records it holds.
    pub records: usize,
    /// The last record it holds: durable once this batch is.
    pub through: Seq,
}

/// The group-commit state: queued records, what is durable, and when the
/// file was last rewritten.
#[derive(Debug)]
pub struct Journal {
    policy: Policy,
    queued: Vec<u8>,
    queued_records: usize,
    /// When the oldest queued record was pushed.
    oldest: Option<Instant>,
    /// The caller asked for a flush as soon as possible.
    urgent: bool,
    last_pushed: Seq,
    durable: Seq,
    /// A batch taken but not yet reported.
    in_flight: Option<Seq>,
    /// Records made durable since the last rewrite (ISC's `count`).
    since_rewrite: u64,
    last_rewrite: Instant,
    /// Spare buffer handed back by `flushed`, reused for the next batch.
    spare: Vec<u8>,
}

impl Journal {
    /// A journal whose file was (re)written at `now`.
    pub fn new(policy: Policy, now: Instant) -> Journal {
        Journal {
            policy,
            queued: Vec::new(),
            queued_records: 0,
            oldest: None,
            urgent: false,
            last_pushed: Seq(0),
            durable: Seq(0),
            in_flight: None,
            since_rewrite: 0,
            last_rewrite: now,
            spare: Vec::new(),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Queues one record's bytes; returns its `Seq`.
    pub fn push(&mut self, record: &[u8], now: Instant) -> Seq {
        self.queued.extend_from_slice(record);
        self.queued_records += 1;
        self.oldest.get_or_insert(now);
        self.last_pushed = Seq(self.last_pushed.0 + 1);
        self.last_pushed
    }

    /// Asks for the queued records to be flushed without waiting for a
    /// limit (the caller is about to block, or must reply now).
    pub fn request_flush(&mut self) {
        if self.queued_records > 0 {
            self.urgent = true;
        }
    }

    /// Whether a batch should be taken now.
    pub fn should_flush(&self, now: Instant) -> bool {
        if self.queued_records == 0 || self.in_flight.is_some() {
            return false;
        }
        self.urgent
            || self.queued_records >= self.policy.max_records
            || self.queued.len() >= self.policy.max_bytes.max(1)
            || self.oldest.is_some_and(|t| now.saturating_duration_since(t) >= self.policy.max_delay)
    }

    /// When [`should_flush`](Self::should_flush) will next become true by
    /// itself (the oldest record's deadline), if anything is queued.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.in_flight.is_some() {
            return None;
        }
        self.oldest.map(|t| t + self.policy.max_delay)
    }

    /// Takes every queued record as one batch. `None` when nothing is
    /// queued or a batch is still in flight (one write at a time keeps the
    /// file a prefix of the push order).
    pub fn take_batch(&mut self) -> Option<Batch> {
        if self.queued_records == 0 || self.in_flight.is_some() {
            return None;
        }
        let bytes = std::mem::replace(&mut self.queued, std::mem::take(&mut self.spare));
        let batch = Batch { bytes, records: self.queued_records, through: self.last_pushed };
        self.queued_records = 0;
        self.oldest = None;
        self.urgent = false;
        self.in_flight = Some(batch.through);
        Some(batch)
    }

    /// Reports that `batch` was written and fsynced. Returns whether ISC's
    /// rule now calls for a full rewrite.
    pub fn flushed(&mut self, batch: Batch, now: Instant) -> bool {
        debug_assert_eq!(self.in_flight, Some(batch.through));
        self.in_flight = None;
        self.durable = self.durable.max(batch.through);
        self.since_rewrite += batch.records as u64;
        let mut spare = batch.bytes;
        spare.clear();
        if self.spare.capacity() < spare.capacity() {
            self.spare = spare;
        }
        self.rewrite_due(now)
    }

    /// Reports that writing or syncing `batch` failed. Its records are not
    /// durable and are not retried: after a failed write or fsync the
    /// file's contents are unknown, so the only safe continuation is a full
    /// rewrite (ISC marks the file corrupt and rewrites it the same way).
    /// Returns the last `Seq` that was lost.
    pub fn failed(&mut self, batch: Batch) -> Seq {
        debug_assert_eq!(self.in_flight, Some(batch.through));
        self.in_flight = None;
        batch.through
    }

    /// Every record up to this one is durable.
    pub fn durable(&self) -> Seq {
        self.durable
    }

    /// The last `Seq` handed out.
    pub fn last_pushed(&self) -> Seq {
        self.last_pushed
    }

    /// Records queued and not yet taken.
    pub fn queued(&self) -> usize {
        self.queued_records
    }

    /// ISC's rule: something was appended since the last rewrite and more
    /// than the rewrite period has passed.
    pub fn rewrite_due(&self, now: Instant) -> bool {
        self.since_rewrite > 0 && now.saturating_duration_since(self.last_rewrite) > self.policy.rewrite_period
    }

    /// Records that the file was rewritten at `now` with everything
    /// durable so far (queued records are still to be appended).
    pub fn rewritten(&mut self, now: Instant) {
        self.since_rewrite = 0;
        self.last_rewrite = now;
    }

    /// Drops the queued records (after a failure that needs a rewrite, whose
    /// content supersedes them). Returns the last `Seq` dropped.
    pub fn discard_queued(&mut self) -> Seq {
        self.queued.clear();
        self.queued_records = 0;
        self.oldest = None;
        self.urgent = false;
        self.last_pushed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Instant {
        Instant::now()
    }

    #[test]
    fn immediate_policy_flushes_every_record_alone() {
        let now = t0();
        let mut j = Journal::new(Policy::IMMEDIATE, now);
        assert!(!j.should_flush(now));
        let s = j.push(b"lease 1", now);
        assert_eq!(s, Seq(1));
        assert!(j.should_flush(now));
        let b = j.take_batch().unwrap();
        assert_eq!((b.records, b.through, b.bytes.as_slice()), (1, Seq(1), b"lease 1".as_slice()));
        assert_eq!(j.durable(), Seq(0), "not durable before the fsync is reported");
        assert!(!j.flushed(b, now));
        assert_eq!(j.durable(), Seq(1));
    }

    #[test]
    fn group_policy_waits_for_a_limit_or_the_deadline() {
        let now = t0();
        let mut j =
            Journal::new(Policy { max_records: 3, max_bytes: 100, ..Policy::group(Duration::from_millis(5)) }, now);
        j.push(b"a", now);
        j.push(b"b", now + Duration::from_millis(1));
        assert!(!j.should_flush(now + Duration::from_millis(2)));
        assert_eq!(j.next_deadline(), Some(now + Duration::from_millis(5)));
        assert!(j.should_flush(now + Duration::from_millis(5)), "deadline of the oldest record");
        j.push(b"c", now + Duration::from_millis(2));
        assert!(j.should_flush(now + Duration::from_millis(2)), "record limit");
        let b = j.take_batch().unwrap();
        assert_eq!((b.records, b.through, b.bytes.as_slice()), (3, Seq(3), b"abc".as_slice()));
        // While a batch is in flight, new records wait for it.
        j.push(&[b'x'; 200], now);
        assert!(!j.should_flush(now + Duration::from_secs(1)));
        assert!(j.take_batch().is_none());
        j.flushed(b, now);
        assert_eq!(j.durable(), Seq(3));
        assert!(j.should_flush(now), "byte limit");
        let b = j.take_batch().unwrap();
        assert_eq!(b.through, Seq(4));
        j.flushed(b, now);
        assert_eq!(j.durable(), Seq(4));
    }

    #[test]
    fn a_requested_flush_does_not_wait() {
        let now = t0();
        let mut j = Journal::new(Policy::group(Duration::from_secs(10)), now);
        j.request_flush();
        assert!(!j.should_flush(now), "nothing queued");
        j.push(b"a", now);
        assert!(!j.should_flush(now));
        j.request_flush();
        assert!(j.should_flush(now));
        let b = j.take_batch().unwrap();
        j.flushed(b, now);
        j.push(b"b", now);
        assert!(!j.should_flush(now), "the request covered the earlier batch only");
    }

    #[test]
    fn a_failed_batch_is_never_durable() {
        let now = t0();
        let mut j = Journal::new(Policy::IMMEDIATE, now);
        j.push(b"a", now);
        let b = j.take_batch().unwrap();
        assert_eq!(j.failed(b), Seq(1));
        assert_eq!(j.durable(), Seq(0));
        j.push(b"b", now);
        let b = j.take_batch().unwrap();
        j.flushed(b, now);
        assert_eq!(j.durable(), Seq(2));
    }

    #[test]
    fn rewrite_follows_iscs_hourly_rule() {
        let now = t0();
        let hour = Duration::from_secs(3600);
        let mut j = Journal::new(Policy::IMMEDIATE, now);
        assert!(!j.rewrite_due(now + 2 * hour), "nothing appended since the last rewrite");
        j.push(b"a", now);
        let b = j.take_batch().unwrap();
        assert!(!j.flushed(b, now + hour), "exactly an hour is not more than an hour");
        j.push(b"b", now);
        let b = j.take_batch().unwrap();
        assert!(j.flushed(b, now + hour + Duration::from_secs(1)));
        j.rewritten(now + hour + Duration::from_secs(1));
        assert!(!j.rewrite_due(now + 3 * hour));
    }

    #[test]
    fn discarding_drops_only_queued_records() {
        let now = t0();
        let mut j = Journal::new(Policy::group(Duration::from_secs(1)), now);
        j.push(b"a", now);
        j.push(b"b", now);
        assert_eq!(j.discard_queued(), Seq(2));
        assert_eq!(j.queued(), 0);
        assert!(j.take_batch().is_none());
        assert_eq!(j.push(b"c", now), Seq(3));
    }
}
