//! Class membership (ISC `classify_client`, `check_collection`) and
//! lease-limit billing (`bill_class`, `unbill_class`).
//!
//! Every top-level class is tried in declaration order. `match if` must
//! hold; then a class with `match`/`spawn with` looks the data up among
//! its subclasses, and a spawning class makes a new subclass for data it
//! has not seen (the spawned subclasses live as long as the server). A
//! packet belongs to at most five classes (ISC `PACKET_MAX_CLASSES`).
//! Classification runs before the host lookup, so `known` is false in
//! class expressions, as in ISC.

use std::collections::HashMap;

use crate::conf::model::{Config, GroupId};
use crate::lease::BillingClass;

use super::eval::{EvalContext, ScopeEvaluator};
use super::outcome::LogLine;

/// ISC `PACKET_MAX_CLASSES`.
pub const MAX_CLASSES: usize = 5;

/// A class a packet can belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClassRef {
    /// A `class` or `subclass` of the configuration (index into
    /// `Config::classes`).
    Config(usize),
    /// A subclass made by `spawn with` (index into the engine's table).
    Spawned(usize),
}

/// A subclass made by `spawn with`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpawnedClass {
    /// The spawning class.
    pub superclass: usize,
    /// The data it was spawned for.
    pub hash: Vec<u8>,
}

/// Classes known at run time and their billing.
#[derive(Clone, Debug, Default)]
pub struct Classes {
    /// Top-level classes in declaration order (ISC's default collection).
    collection: Vec<usize>,
    /// Subclasses by (class, data): declared and spawned.
    subclasses: HashMap<(usize, Vec<u8>), ClassRef>,
    spawned: Vec<SpawnedClass>,
    consumed: HashMap<ClassRef, i64>,
}

impl Classes {
    /// The classes of `config`.
    pub fn new(config: &Config) -> Classes {
        let mut c = Classes::default();
        for (i, class) in config.classes.iter().enumerate() {
            if class.deleted {
                continue;
            }
            match (class.superclass, &class.hash_string) {
                (None, _) => c.collection.push(i),
                (Some(sup), Some(data)) => {
                    c.subclasses.insert((sup, data.clone()), ClassRef::Config(i));
                }
                (Some(_), None) => {}
            }
        }
        c
    }

    /// The class's scope (a spawned subclass shares its superclass's).
    pub fn group(&self, config: &Config, class: ClassRef) -> GroupId {
        match class {
            ClassRef::Config(i) => config.classes[i].group,
            ClassRef::Spawned(i) => config.classes[self.spawned[i].superclass].group,
        }
    }

    /// The class's superclass, if it is a subclass.
    pub fn superclass(&self, config: &Config, class: ClassRef) -> Option<usize> {
        match class {
            ClassRef::Config(i) => config.classes[i].superclass,
            ClassRef::Spawned(i) => Some(self.spawned[i].superclass),
        }
    }

    /// The class's `lease limit` (0 = none).
    pub fn lease_limit(&self, config: &Config, class: ClassRef) -> i64 {
        let i = match class {
            ClassRef::Config(i) => i,
            ClassRef::Spawned(i) => self.spawned[i].superclass,
        };
        i64::from(config.classes[i].lease_limit.unwrap_or(0).max(0))
    }

    /// The name ISC prints for a class in billing lines: its own, or for
    /// a subclass its superclass's.
    pub fn name<'c>(&self, config: &'c Config, class: ClassRef) -> &'c str {
        let i = self.superclass(config, class).unwrap_or(match class {
            ClassRef::Config(i) => i,
            ClassRef::Spawned(i) => self.spawned[i].superclass,
        });
        config.classes[i].name.as_deref().unwrap_or("")
    }

    /// Whether any class has a lease limit (ISC `have_billing_classes`).
    pub fn have_billing(&self, config: &Config) -> bool {
        config.classes.iter().any(|c| !c.deleted && c.lease_limit.is_some_and(|l| l > 0))
    }

    /// ISC `classify_client`: the classes the packet belongs to, in the
    /// order it joined them, and ISC's log lines.
    pub fn classify<E: ScopeEvaluator>(
        &mut self,
        config: &Config,
        eval: &mut E,
        cx: &EvalContext<'_>,
        who: &dyn Fn() -> String,
        logs: &mut Vec<LogLine>,
    ) -> Vec<ClassRef> {
        let mut out = Vec::new();
        let mut join = |c: ClassRef, out: &mut Vec<ClassRef>| {
            if out.len() < MAX_CLASSES {
                out.push(c);
            } else {
                logs.push(LogLine::error(format!("too many classes match {}", who())));
            }
        };
        for ci in self.collection.clone() {
            let class = &config.classes[ci];
            if let Some(m) = &class.match_if {
                if eval.boolean(cx, None, m) != Some(true) {
                    continue;
                }
                if class.submatch.is_none() {
                    join(ClassRef::Config(ci), &mut out);
                    continue;
                }
            }
            let Some(sub) = &class.submatch else { continue };
            let Some(data) = eval.data(cx, None, sub).filter(|d| !d.is_empty()) else { continue };
            if let Some(&found) = self.subclasses.get(&(ci, data.clone())) {
                join(found, &mut out);
                continue;
            }
            if !class.spawning {
                continue;
            }
            self.spawned.push(SpawnedClass { superclass: ci, hash: data.clone() });
            let r = ClassRef::Spawned(self.spawned.len() - 1);
            self.subclasses.insert((ci, data), r);
            join(r, &mut out);
        }
        out
    }

    /// How the lease file names a class a lease is billed to.
    pub fn billing_record(&self, config: &Config, class: ClassRef) -> BillingClass {
        match class {
            ClassRef::Config(i) => match (config.classes[i].superclass, &config.classes[i].hash_string) {
                (Some(sup), Some(hash)) => BillingClass::Subclass {
                    parent: config.classes[sup].name.clone().unwrap_or_default(),
                    hash: hash.clone(),
                },
                _ => BillingClass::Class(config.classes[i].name.clone().unwrap_or_default()),
            },
            ClassRef::Spawned(i) => BillingClass::Subclass {
                parent: config.classes[self.spawned[i].superclass].name.clone().unwrap_or_default(),
                hash: self.spawned[i].hash.clone(),
            },
        }
    }

    /// The class a lease-file billing record names (a subclass of a
    /// spawning class is made if it does not exist yet, as ISC does when
    /// reading the file).
    pub fn resolve_billing(&mut self, config: &Config, billing: &BillingClass) -> Option<ClassRef> {
        let named = |n: &str| {
            self.collection.iter().copied().find(|&i| config.classes[i].name.as_deref() == Some(n))
        };
        match billing {
            BillingClass::Class(name) => named(name).map(ClassRef::Config),
            BillingClass::Subclass { parent, hash } => {
                let sup = named(parent)?;
                if let Some(&c) = self.subclasses.get(&(sup, hash.clone())) {
                    return Some(c);
                }
                if !config.classes[sup].spawning {
                    return None;
                }
                self.spawned.push(SpawnedClass { superclass: sup, hash: hash.clone() });
                let r = ClassRef::Spawned(self.spawned.len() - 1);
                self.subclasses.insert((sup, hash.clone()), r);
                Some(r)
            }
        }
    }

    /// ISC `bill_class`: takes one of the class's lease slots; false when
    /// the limit is reached.
    pub fn bill(&mut self, config: &Config, class: ClassRef) -> bool {
        let limit = self.lease_limit(config, class);
        let used = self.consumed.entry(class).or_insert(0);
        if *used >= limit {
            return false;
        }
        *used += 1;
        true
    }

    /// ISC `unbill_class`: gives a slot back.
    pub fn unbill(&mut self, class: ClassRef) {
        if let Some(used) = self.consumed.get_mut(&class) {
            *used = (*used - 1).max(0);
        }
    }
}
