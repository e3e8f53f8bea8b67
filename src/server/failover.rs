//! The failover relationships of a serving dhcpd: the engine type they live
//! in and their peers, restored from the lease file.
//!
//! The engine holds the [`Peer`]s as its `FailoverHooks` (what it may
//! allocate, to whom, for how long) and its lease database is their lease
//! table. Everything that reaches the partner — listeners, dials, bytes,
//! timers, durability before transmit — is [`FailoverLinks`], which the
//! serving handler drives.
//!
//! [`FailoverLinks`]: super::failover_link::FailoverLinks

use crate::conf::model::Config;
use crate::engine::{Engine, IscEvaluator};
use crate::failover::Peer;
use crate::lease::records::FailoverStateRecord;
use crate::time::Now;

/// The engine as the server runs it: the crate's evaluator, the crate's peers.
pub type ServerEngine = Engine<IscEvaluator, Vec<Peer>>;

/// One peer per configured relationship, restored from the lease file's
/// state records (matched by name).
pub fn peers(config: &Config, restored: &[FailoverStateRecord], now: Now) -> Vec<Peer> {
    super::failover_link::make_peers(config, restored, now)
}
