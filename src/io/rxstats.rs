//! ISC's running tallies of damaged frames, and the lines it logs about them.
//!
//! ISC (`decode_udp_ip_header`, `common/packet.c`) does not log every bad frame. It keeps
//! three pairs of counters (UDP length, IP checksum, UDP checksum) and, when at least five
//! frames were seen and at least half of them were bad, logs one line and starts over;
//! after five frames that were mostly fine it starts over silently. Reproducing that keeps
//! a noisy link from flooding syslog exactly as ISC does, with ISC's words.

use super::syslog::Level;
use crate::wire::frame;

/// One seen/bad pair with ISC's reset rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    seen: u32,
    bad: u32,
}

impl Tally {
    /// Counts a frame; true when it was bad and the line is due (the tally then restarts,
    /// after the caller has read the numbers from the returned copy).
    fn count(&mut self, bad: bool) -> Option<Tally> {
        self.seen = self.seen.wrapping_add(1);
        if bad {
            self.bad = self.bad.wrapping_add(1);
            if self.seen > 4 && self.bad != 0 && self.seen / self.bad < 2 {
                let due = *self;
                *self = Tally::default();
                return Some(due);
            }
        } else if self.seen > 4 {
            *self = Tally::default();
        }
        None
    }
}

/// The three tallies, in the order ISC checks a frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxStats {
    length: Tally,
    ip_checksum: Tally,
    udp_checksum: Tally,
}

impl RxStats {
    /// Counts the outcome of parsing one frame; returns ISC's line when one is due.
    /// Frames rejected before ISC's counters (short, not IPv4/UDP, fragments) count nowhere.
    pub fn record(&mut self, outcome: Result<(), frame::Error>) -> Option<(Level, String)> {
        use frame::Error::*;
        let stage = match outcome {
            Ok(()) => 3,
            Err(UdpTooLong) => 0,
            Err(BadIpChecksum) => 1,
            Err(BadUdpChecksum) => 2,
            Err(_) => return None,
        };
        if let Some(t) = self.length.count(stage == 0) {
            return Some((
                Level::Info,
                format!("{} udp packets in {} too long - dropped", t.bad, t.seen),
            ));
        }
        if stage == 0 {
            return None;
        }
        if let Some(t) = self.ip_checksum.count(stage == 1) {
            return Some((
                Level::Info,
                format!("{} bad IP checksums seen in {} packets", t.bad, t.seen),
            ));
        }
        if stage == 1 {
            return None;
        }
        if let Some(t) = self.udp_checksum.count(stage == 2) {
            return Some((
                Level::Debug,
                format!("{} bad udp checksums in {} packets", t.bad, t.seen),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frame::Error::*;

    #[test]
    fn nothing_until_five_seen_with_half_bad() {
        let mut s = RxStats::default();
        for _ in 0..4 {
            assert_eq!(s.record(Err(BadIpChecksum)), None);
        }
        assert_eq!(
            s.record(Err(BadIpChecksum)),
            Some((Level::Info, "5 bad IP checksums seen in 5 packets".into()))
        );
        // Restarted.
        assert_eq!(s.record(Err(BadIpChecksum)), None);
    }

    #[test]
    fn mostly_good_traffic_restarts_silently() {
        let mut s = RxStats::default();
        assert_eq!(s.record(Err(BadUdpChecksum)), None);
        for _ in 0..4 {
            assert_eq!(s.record(Ok(())), None);
        }
        // The fifth good frame reset the tally, so four bad ones are not yet enough.
        for _ in 0..4 {
            assert_eq!(s.record(Err(BadUdpChecksum)), None);
        }
        assert_eq!(
            s.record(Err(BadUdpChecksum)),
            Some((Level::Debug, "5 bad udp checksums in 5 packets".into()))
        );
    }

    #[test]
    fn three_good_and_three_bad_is_due_at_the_sixth() {
        let mut s = RxStats::default();
        for _ in 0..3 {
            assert_eq!(s.record(Ok(())), None);
        }
        assert_eq!(s.record(Err(UdpTooLong)), None);
        assert_eq!(s.record(Err(UdpTooLong)), None);
        // 6 seen, 3 bad: 6 / 3 = 2, not below 2.
        assert_eq!(s.record(Err(UdpTooLong)), None);
        // 7 seen, 4 bad: 7 / 4 = 1.
        assert_eq!(
            s.record(Err(UdpTooLong)),
            Some((Level::Info, "4 udp packets in 7 too long - dropped".into()))
        );
    }

    #[test]
    fn early_rejects_count_nowhere() {
        let mut s = RxStats::default();
        for _ in 0..10 {
            assert_eq!(s.record(Err(Truncated)), None);
            assert_eq!(s.record(Err(NotUdp)), None);
        }
        assert_eq!(s, RxStats::default());
    }
}
