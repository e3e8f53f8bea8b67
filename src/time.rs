//! The one time value the cores receive: a monotonic instant and the wall clock.
//!
//! Cores never read a clock (`Instant::now`, `SystemTime::now`); the IO shell
//! reads both once per turn of its loop and passes them in as [`Now`]. Two
//! clocks, because they answer different questions: timers (ping timeouts,
//! failover keepalives) must not jump when the wall clock is stepped, while
//! leases, `cltt` and the lease file hold absolute times. A test builds any
//! `Now` it likes, including a wall clock that steps backwards.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The time at one turn of the event loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// For deadlines: never goes backwards.
    pub mono: Instant,
    /// Wall clock, seconds since the Unix epoch (ISC's `cur_time`).
    pub wall: i64,
    /// Microseconds within [`wall`](Self::wall) (ISC's `cur_tv.tv_usec`).
    pub wall_micros: u32,
}

impl Now {
    /// Reads both clocks. Only the IO shell calls this, once per loop turn.
    pub fn read() -> Now {
        let mono = Instant::now();
        // A clock before 1970 is a broken machine; treat it as the epoch
        // rather than refusing to run.
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Now {
            mono,
            wall: since.as_secs() as i64,
            wall_micros: since.subsec_micros(),
        }
    }
}
