//! Pool usage and class billing at grant time: ISC's
//! `check_pool_threshold` (`log-threshold-high`/`-low` lines) and the
//! lease-limit billing in `ack_lease` (`bill_class`, `unbill_class`).

use crate::conf::model::Config;
use crate::lease::{BindingState, Lease};
use crate::options::SpaceId;

use super::ack::{AckKind, SV_LOG_THRESHOLD_HIGH, SV_LOG_THRESHOLD_LOW};
use super::classify::ClassRef;
use super::eval::{EvalContext, ScopeEvaluator};
use super::failover::FailoverHooks;
use super::outcome::Outcome;
use super::Engine;

impl<E: ScopeEvaluator, F: FailoverHooks> Engine<E, F> {
    /// ISC `check_pool_threshold` (`log-threshold-high`/`-low`).
    pub(crate) fn check_pool_threshold(
        &mut self,
        config: &Config,
        cx: &EvalContext<'_>,
        state: &E::State<'_>,
        pool: usize,
        lease: &Lease,
        out: &mut Outcome,
    ) {
        let shared = config.shared_networks.get(config.pools[pool].shared_network).map_or("no name", |s| s.name.as_str());
        let st = self.db.pool(pool);
        let count = st.lease_count;
        let used = count - (st.free_leases + st.backup_leases);
        if st.logged {
            if used <= st.low_threshold {
                let st = self.db.pool_mut(pool);
                st.low_threshold = 0;
                st.logged = false;
                out.error(format!(
                    "Pool threshold reset - shared subnet: {shared}; address: {}; low threshold {used}/{count}.",
                    lease.ip
                ));
            }
            return;
        }
        let int = |eval: &mut E, code| -> Option<i64> {
            let v = eval.option(cx, state, SpaceId::SERVER, code)?;
            v.first().map(|&b| i64::from(b))
        };
        let Some(high) = int(&mut self.eval, SV_LOG_THRESHOLD_HIGH) else { return };
        if high <= 0 || high > 100 {
            return;
        }
        let percent = |n: i64, p: i64| if n > i64::from(i32::MAX) / 100 { n / 100 * p } else { n * p / 100 };
        if used < percent(count, high) {
            return;
        }
        out.error(format!(
            "Pool threshold exceeded - shared subnet: {shared}; address: {}; high threshold {high}% {used}/{count}.",
            lease.ip
        ));
        let low = int(&mut self.eval, SV_LOG_THRESHOLD_LOW).filter(|&l| l <= 100).unwrap_or(0);
        if low < high {
            let st = self.db.pool_mut(pool);
            st.logged = true;
            st.low_threshold = percent(count, low);
        }
    }

    /// Records (or clears) the billing of lease `idx`, in the engine and in
    /// the lease record the file gets.
    pub(crate) fn set_billing(&mut self, config: &Config, idx: usize, class: Option<ClassRef>) {
        let record = class.map(|c| self.classes.billing_record(config, c));
        let e = self.db.get_mut(idx);
        e.billing = class;
        e.lease.billing_class = record;
    }

    /// ISC's per-class billing in `ack_lease`; false when the client must
    /// not get the lease (every matching class is at its limit).
    pub(crate) fn bill(&mut self, config: &Config, idx: usize, classes: &[ClassRef], kind: AckKind, msg: &str, out: &mut Outcome) -> bool {
        if let Some(b) = self.db.get(idx).billing {
            if !classes.contains(&b) {
                self.classes.unbill(b);
                self.set_billing(config, idx, None);
                let e = self.db.get_mut(idx);
                if e.lease.binding_state == BindingState::Active {
                    e.cannot_reuse = true;
                }
            }
        }
        if self.db.get(idx).billing.is_none() {
            let mut tried = 0;
            let mut cname = String::new();
            let mut billed = None;
            for &c in classes {
                if self.classes.lease_limit(config, c) == 0 {
                    continue;
                }
                tried += 1;
                if self.classes.bill(config, c) {
                    billed = Some(c);
                    break;
                }
                cname = self.classes.name(config, c).to_string();
            }
            if tried != 0 && billed.is_none() {
                out.info(format!(
                    "{msg}: no available billing: lease limit reached in all matching classes (last: '{cname}')"
                ));
                return false;
            }
            self.set_billing(config, idx, billed);
            if let Some(c) = billed {
                if kind == AckKind::Offer && self.db.get(idx).lease.binding_state != BindingState::Active {
                    self.classes.unbill(c);
                    self.set_billing(config, idx, None);
                }
            }
            if self.db.get(idx).billing.is_some() {
                self.db.get_mut(idx).cannot_reuse = true;
            }
        }
        true
    }
}
