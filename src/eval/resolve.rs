//! ISC's caching of host-name answers (`do_host_lookup`).
//!
//! ISC remembers each answer: addresses for an hour, a failure for a
//! minute. During that minute the name yields an *empty* value rather than
//! failing again (the failure is logged once), so an option built from it
//! goes out empty or not at all. A server's [`super::Host`] can keep one
//! [`HostCache`] and put its resolver behind it to behave the same.
//! (ISC keeps one entry per place a name is written; this keeps one per
//! name, which differs only in when two places expire.)

use std::collections::HashMap;
use std::net::Ipv4Addr;

use super::context::LookupError;

/// How long ISC trusts a successful answer, in seconds.
pub const ANSWER_TTL: i64 = 3600;
/// How long ISC waits before asking again after a failure, in seconds.
pub const FAILURE_TTL: i64 = 60;

#[derive(Clone, Debug)]
struct Entry {
    until: i64,
    addrs: Vec<Ipv4Addr>,
}

/// Remembered answers by name (compared without case).
#[derive(Clone, Debug, Default)]
pub struct HostCache {
    entries: HashMap<String, Entry>,
}

impl HostCache {
    /// An empty cache.
    pub fn new() -> HostCache {
        HostCache::default()
    }

    /// The answer for `name` at `now`, asking `resolve` when the cached one
    /// is too old.
    pub fn lookup(
        &mut self,
        name: &str,
        now: i64,
        resolve: impl FnOnce(&str) -> Result<Vec<Ipv4Addr>, LookupError>,
    ) -> Result<Vec<Ipv4Addr>, LookupError> {
        let key = name.to_ascii_lowercase();
        if let Some(e) = self.entries.get(&key) {
            if now <= e.until {
                return Ok(e.addrs.clone());
            }
        }
        match resolve(name) {
            Ok(addrs) => {
                self.entries.insert(
                    key,
                    Entry {
                        until: now + ANSWER_TTL,
                        addrs: addrs.clone(),
                    },
                );
                Ok(addrs)
            }
            Err(err) => {
                self.entries.insert(
                    key,
                    Entry {
                        until: now + FAILURE_TTL,
                        addrs: Vec::new(),
                    },
                );
                Err(err)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_live_an_hour_and_failures_a_minute_as_empty() {
        let mut c = HostCache::new();
        let a = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(c.lookup("h", 100, |_| Ok(vec![a])), Ok(vec![a]));
        // Cached: the resolver is not asked.
        assert_eq!(
            c.lookup("H", 100 + ANSWER_TTL, |_| panic!("asked")),
            Ok(vec![a])
        );
        assert_eq!(
            c.lookup("h", 101 + ANSWER_TTL, |_| Err(LookupError::TryAgain)),
            Err(LookupError::TryAgain)
        );
        // Within the minute after a failure the name is empty, not an error.
        assert_eq!(
            c.lookup("h", 150 + ANSWER_TTL, |_| panic!("asked")),
            Ok(vec![])
        );
        assert_eq!(
            c.lookup("h", 162 + ANSWER_TTL, |_| Ok(vec![a])),
            Ok(vec![a])
        );
    }
}
