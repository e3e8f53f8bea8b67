//! The seeded fault schedule: every fault and client change of one run, laid out in time before
//! the run starts, so that a seed names the same schedule in every pairing and on every machine.
//!
//! A schedule holds each of the five fault kinds once, in a random order with random lengths,
//! then more random faults while the run has time left. Faults never overlap: each one undoes
//! itself (restart, SIGCONT, heal) before the next begins, so the pair always ends whole. The
//! trickle clients' stops (with DHCPRELEASE) and starts (a returning client or a new one) run
//! alongside.

use std::fmt;

/// Which server: 0 is the primary, 1 the secondary.
pub type SideIx = usize;

/// One step the driver carries out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// SIGKILL the server.
    Kill(SideIx),
    /// Start the server again from its lease file.
    Start(SideIx),
    /// SIGSTOP the server.
    Freeze(SideIx),
    /// SIGCONT the server.
    Thaw(SideIx),
    /// Destroy the failover TCP connection in this server's namespace (`ss -K`: the kernel
    /// sends a RST to the other end).
    Reset(SideIx),
    /// Partition the failover link (both servers keep serving clients).
    Cut,
    /// Heal the partition.
    Heal,
    /// Stop trickle client `n`: udhcpc exits and sends DHCPRELEASE.
    ClientLeave(usize),
    /// Start trickle client `n` again: the same client coming back (`false`) or a new one
    /// (`true`, a fresh hardware address).
    ClientJoin(usize, bool),
}

/// The kinds of fault a schedule is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// SIGKILL, down for `down` seconds, restart.
    Kill { side: SideIx, down: u32 },
    /// SIGSTOP for `secs` seconds, then SIGCONT.
    Freeze { side: SideIx, secs: u32 },
    /// The failover connection destroyed under both servers.
    Reset { side: SideIx },
    /// The failover link partitioned for `secs` seconds, then healed.
    Partition { secs: u32 },
    /// A partition of `secs` seconds with `side` killed `at` seconds into it and restarted
    /// `down` seconds later, still inside it.
    CrashInPartition { side: SideIx, secs: u32, at: u32, down: u32 },
}

fn side_name(s: SideIx) -> &'static str {
    if s == 0 {
        "primary"
    } else {
        "secondary"
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Fault::Kill { side, down } => write!(f, "kill {} ({down} s down)", side_name(side)),
            Fault::Freeze { side, secs } => write!(f, "SIGSTOP {} for {secs} s", side_name(side)),
            Fault::Reset { side } => write!(f, "TCP reset from the {}", side_name(side)),
            Fault::Partition { secs } => write!(f, "partition for {secs} s"),
            Fault::CrashInPartition { side, secs, at, down } => {
                write!(f, "partition for {secs} s, {} killed at +{at} s for {down} s", side_name(side))
            }
        }
    }
}

/// A small deterministic generator (xorshift64*), the same on every platform.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }

    fn chance(&mut self, per_cent: u64) -> bool {
        self.next() % 100 < per_cent
    }
}

/// One run's schedule.
pub struct Schedule {
    /// The faults, with their start (seconds after the faults begin).
    pub faults: Vec<(u32, Fault)>,
    /// Every step, in time order (seconds after the faults begin).
    pub actions: Vec<(f64, Action)>,
    /// When the last fault is over.
    pub length: u32,
}

fn random_fault(rng: &mut Rng, kind: u32) -> Fault {
    let side = rng.range(0, 1) as SideIx;
    match kind {
        0 => Fault::Reset { side },
        1 => Fault::Kill { side, down: rng.range(2, 8) },
        2 => Fault::Freeze { side, secs: rng.range(4, 14) },
        3 => Fault::Partition { secs: rng.range(10, 25) },
        _ => {
            let secs = rng.range(16, 30);
            let at = rng.range(3, 7);
            let down = rng.range(3, secs - at - 2);
            Fault::CrashInPartition { side, secs, at, down }
        }
    }
}

fn duration(f: &Fault) -> u32 {
    match *f {
        Fault::Kill { down, .. } => down,
        Fault::Freeze { secs, .. } => secs,
        Fault::Reset { .. } => 0,
        Fault::Partition { secs } | Fault::CrashInPartition { secs, .. } => secs,
    }
}

/// The schedule for `seed`: every fault kind once, then random faults while they start before
/// `secs`; trickle clients (`trickle` of them) leave and join throughout.
pub fn generate(seed: u64, secs: u32, trickle: usize) -> Schedule {
    let mut rng = Rng::new(seed);
    let mut kinds: Vec<u32> = (0..5).collect();
    for i in (1..kinds.len()).rev() {
        kinds.swap(i, rng.range(0, i as u32) as usize);
    }
    let mut faults = Vec::new();
    let mut t = rng.range(3, 5);
    let mut n = 0;
    loop {
        let kind = if n < kinds.len() { kinds[n] } else { rng.range(0, 4) };
        if n >= kinds.len() && t >= secs {
            break;
        }
        let f = random_fault(&mut rng, kind);
        faults.push((t, f));
        t += duration(&f) + rng.range(3, 6);
        n += 1;
    }
    let length = t;
    let mut actions: Vec<(f64, Action)> = Vec::new();
    for &(at, f) in &faults {
        let at = f64::from(at);
        match f {
            Fault::Kill { side, down } => {
                actions.push((at, Action::Kill(side)));
                actions.push((at + f64::from(down), Action::Start(side)));
            }
            Fault::Freeze { side, secs } => {
                actions.push((at, Action::Freeze(side)));
                actions.push((at + f64::from(secs), Action::Thaw(side)));
            }
            Fault::Reset { side } => actions.push((at, Action::Reset(side))),
            Fault::Partition { secs } => {
                actions.push((at, Action::Cut));
                actions.push((at + f64::from(secs), Action::Heal));
            }
            Fault::CrashInPartition { side, secs, at: k, down } => {
                actions.push((at, Action::Cut));
                actions.push((at + f64::from(k), Action::Kill(side)));
                actions.push((at + f64::from(k + down), Action::Start(side)));
                actions.push((at + f64::from(secs), Action::Heal));
            }
        }
    }
    // Trickle clients: each is up from the start, then leaves and joins until the faults end.
    for c in 0..trickle {
        let mut t = f64::from(rng.range(4, 14));
        while t < f64::from(length) {
            actions.push((t, Action::ClientLeave(c)));
            t += f64::from(rng.range(2, 8));
            if t >= f64::from(length) {
                // Everyone is back for the end of the run.
                actions.push((f64::from(length), Action::ClientJoin(c, rng.chance(50))));
                break;
            }
            actions.push((t, Action::ClientJoin(c, rng.chance(50))));
            t += f64::from(rng.range(8, 25));
        }
    }
    actions.sort_by(|a, b| a.0.total_cmp(&b.0));
    Schedule { faults, actions, length }
}

/// The same seed gives the same schedule, and every kind of fault is in it (a check main runs
/// before using the generator).
pub fn self_check() -> Result<(), String> {
    for seed in [0u64, 1, 42, u64::MAX] {
        let a = generate(seed, 60, 4);
        let b = generate(seed, 60, 4);
        if a.actions != b.actions || a.faults != b.faults {
            return Err(format!("seed {seed}: two different schedules"));
        }
        let has = |p: fn(&Fault) -> bool| a.faults.iter().any(|(_, f)| p(f));
        let all = has(|f| matches!(f, Fault::Kill { .. }))
            && has(|f| matches!(f, Fault::Freeze { .. }))
            && has(|f| matches!(f, Fault::Reset { .. }))
            && has(|f| matches!(f, Fault::Partition { .. }))
            && has(|f| matches!(f, Fault::CrashInPartition { .. }));
        if !all {
            return Err(format!("seed {seed}: a fault kind is missing: {:?}", a.faults));
        }
        // Every kill is followed by a start, every cut by a heal, every freeze by a thaw.
        let count = |p: fn(&Action) -> bool| a.actions.iter().filter(|(_, x)| p(x)).count();
        if count(|x| matches!(x, Action::Kill(_))) != count(|x| matches!(x, Action::Start(_)))
            || count(|x| matches!(x, Action::Cut)) != count(|x| matches!(x, Action::Heal))
            || count(|x| matches!(x, Action::Freeze(_))) != count(|x| matches!(x, Action::Thaw(_)))
        {
            return Err(format!("seed {seed}: a fault is not undone: {:?}", a.actions));
        }
    }
    Ok(())
}
