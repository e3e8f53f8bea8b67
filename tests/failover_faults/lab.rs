//! The lab of one run: two serving dhcpd (ISC's or ours, the real command line) in their own
//! namespaces, a client segment, a failover-only link that can be cut, and busybox udhcpc
//! clients, each in its own namespace.
//!
//! ```text
//!            client segment (br0, 10.0.0.0/24)
//!   c0..cN ──┬──────────────┬──  p0 10.0.0.1 [primary]   pf 10.99.0.1 ──┐
//!            │              └──  s0 10.0.0.2 [secondary] sf 10.99.0.2 ──┤ failover link (br1)
//! ```
//!
//! Both bridges live in a switch namespace. A partition takes the primary's failover port out
//! of br1: both servers keep their links up and keep serving clients, and their failover
//! packets go nowhere (a silent partition, as a broken path looks to TCP). Healing puts the port
//! back. Each server's client link and failover link are captured in its own namespace.
//!
//! The clients run udhcpc with a script that puts the bound address on their interface (so a
//! renewal can be unicast and the server's unicast answer is delivered), never a route or
//! anything outside their namespace. `ping-check false`: a ping would hide a double binding
//! behind an abandoned lease, and this lab measures what the servers decide.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use super::netlab::{self, Capture, Lab, ProcId};

/// The relationship's name.
pub const RELATIONSHIP: &str = "faults";
/// The failover port (both sides).
pub const PORT: u16 = 647;
/// First and last host number of the pool in 10.0.0.0/24 (36 addresses).
pub const POOL: (u8, u8) = (100, 135);
/// Long-lived clients.
pub const LONG_CLIENTS: usize = 24;
/// Clients that leave (with DHCPRELEASE) and join again or are replaced.
pub const TRICKLE: usize = 4;

const BIN: &str = env!("CARGO_BIN_EXE_dhcpd");
/// ISC's dhcpd.
pub const ISC: &str = "/usr/sbin/dhcpd";

fn io<T>(r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// The configuration of the primary (`primary`) or the secondary: the fault report's settings
/// (split 128, MCLT 60, max-response-delay 10, max-unacked-updates 10, load balance max seconds
/// 3, leases of 30 s, a small pool).
pub fn config(primary: bool) -> String {
    let (me, peer) = if primary { ("10.99.0.1", "10.99.0.2") } else { ("10.99.0.2", "10.99.0.1") };
    let role = if primary { "primary;\n  mclt 60;\n  split 128;" } else { "secondary;" };
    format!(
        "ddns-update-style none;
authoritative;
ping-check false;
default-lease-time 30;
max-lease-time 30;
failover peer \"{RELATIONSHIP}\" {{
  {role}
  address {me};
  port {PORT};
  peer address {peer};
  peer port {PORT};
  max-response-delay 10;
  max-unacked-updates 10;
  load balance max seconds 3;
}}
subnet 10.0.0.0 netmask 255.255.255.0 {{
  option subnet-mask 255.255.255.0;
  pool {{
    failover peer \"{RELATIONSHIP}\";
    range 10.0.0.{} 10.0.0.{};
  }}
}}
",
        POOL.0, POOL.1
    )
}

/// One server of the pair.
pub struct Server {
    ns: String,
    dev: &'static str,
    /// ISC's dhcpd (else ours).
    pub isc: bool,
    conf: String,
    /// Its lease file.
    pub leases: String,
    pid: String,
    /// The running process.
    pub proc: Option<ProcId>,
    /// Every process it ran as, in order (their logs).
    pub procs: Vec<ProcId>,
}

impl Server {
    /// "ISC" or "ours".
    pub fn who(&self) -> &'static str {
        if self.isc {
            "ISC"
        } else {
            "ours"
        }
    }
}

/// One udhcpc client.
pub struct Client {
    ns: String,
    /// Its hardware address now.
    pub mac: [u8; 6],
    script: String,
    proc: Option<ProcId>,
    /// For trickle clients: slot number (hardware addresses of new identities).
    slot: Option<usize>,
    generation: u8,
}

/// The lab of one run.
pub struct PairLab {
    /// The namespaces and processes.
    pub lab: Lab,
    sw: String,
    /// Primary, secondary.
    pub servers: [Server; 2],
    /// Long-lived clients, then the trickle clients.
    pub clients: Vec<Client>,
    /// Each server's client link.
    pub dhcp_caps: [Capture; 2],
    /// Each server's failover link.
    pub fo_caps: [Capture; 2],
    busybox: PathBuf,
}

fn mac_text(m: &[u8]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

const CLIENT_SCRIPT: &str = r#"#!/bin/sh
# udhcpc's events: the bound address on the interface, nothing else.
case "$1" in
  deconfig) ip addr flush dev "$interface" ;;
  bound) ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface" ;;
  renew) ip addr replace "$ip/${mask:-24}" dev "$interface" ;;
esac
exit 0
"#;

impl PairLab {
    /// Builds the namespaces and links; `isc` says which sides run ISC's dhcpd. Nothing runs yet
    /// except the captures.
    pub fn new(tag: &str, isc: [bool; 2]) -> Result<PairLab, String> {
        let busybox = netlab::which("busybox").ok_or("busybox is not installed")?;
        let mut lab = io(Lab::new(&format!("fofaults-{tag}")))?;
        let sw = io(lab.netns("sw"))?;
        io(lab.bridge(&sw, "br0"))?;
        io(lab.bridge(&sw, "br1"))?;
        let mut servers = Vec::new();
        let mut dhcp_caps = Vec::new();
        let mut fo_caps = Vec::new();
        for (i, name) in ["p", "s"].into_iter().enumerate() {
            let ns = io(lab.netns(name))?;
            let (dev, fo) = if i == 0 { ("p0", "pf") } else { ("s0", "sf") };
            io(lab.plug((&ns, dev), (&sw, "br0", &format!("{name}0x"))))?;
            io(lab.plug((&ns, fo), (&sw, "br1", &format!("{name}fx"))))?;
            io(lab.addr(&ns, dev, &format!("10.0.0.{}/24", i + 1)))?;
            io(lab.addr(&ns, fo, &format!("10.99.0.{}/24", i + 1)))?;
            dhcp_caps.push(io(lab.capture(&ns, dev))?);
            fo_caps.push(io(lab.capture(&ns, fo))?);
            let file = |f: &str, text: &str| -> Result<String, String> {
                let p = lab.dir().join(f);
                io(std::fs::write(&p, text))?;
                Ok(p.to_string_lossy().into_owned())
            };
            servers.push(Server {
                conf: file(&format!("{name}.conf"), &config(i == 0))?,
                leases: file(&format!("{name}.leases"), "")?,
                pid: lab.dir().join(format!("{name}.pid")).to_string_lossy().into_owned(),
                ns,
                dev,
                isc: isc[i],
                proc: None,
                procs: Vec::new(),
            });
        }
        let script = lab.dir().join("client.sh");
        io(std::fs::write(&script, CLIENT_SCRIPT))?;
        io(std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)))?;
        let script = script.to_string_lossy().into_owned();
        let mut clients = Vec::new();
        for n in 0..LONG_CLIENTS + TRICKLE {
            let ns = io(lab.netns(&format!("c{n}")))?;
            io(lab.plug((&ns, "c0"), (&sw, "br0", &format!("c{n}x"))))?;
            let slot = n.checked_sub(LONG_CLIENTS);
            let mac = match slot {
                None => [0x02, 0xfa, 0, 0, 0, n as u8],
                Some(s) => [0x02, 0xfb, 0, s as u8, 0, 0],
            };
            io(lab.ip(&ns, &["link", "set", "c0", "address", &mac_text(&mac)]))?;
            clients.push(Client { ns, mac, script: script.clone(), proc: None, slot, generation: 0 });
        }
        let [p, s]: [Server; 2] = servers.try_into().map_err(|_| "two servers")?;
        let [dp, ds]: [Capture; 2] = dhcp_caps.try_into().map_err(|_| "two captures")?;
        let [fp, fs]: [Capture; 2] = fo_caps.try_into().map_err(|_| "two captures")?;
        Ok(PairLab { lab, sw, servers: [p, s], clients, dhcp_caps: [dp, ds], fo_caps: [fp, fs], busybox })
    }

    /// Starts server `i` (from its lease file, as a restart does).
    pub fn start(&mut self, i: usize) -> Result<(), String> {
        let s = &self.servers[i];
        let bin = if s.isc { ISC } else { BIN };
        let argv: Vec<&OsStr> = [bin, "-f", "-d", "-cf", &s.conf, "-lf", &s.leases, "-pf", &s.pid, s.dev]
            .into_iter()
            .map(OsStr::new)
            .collect();
        let id = io(self.lab.spawn(&s.ns, &argv, &[]))?;
        let s = &mut self.servers[i];
        s.proc = Some(id);
        s.procs.push(id);
        Ok(())
    }

    /// SIGKILLs server `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(id) = self.servers[i].proc.take() {
            self.lab.stop(id, libc::SIGKILL, Duration::from_secs(5));
        }
    }

    /// Stops server `i` with SIGTERM (its clean stop).
    pub fn terminate(&mut self, i: usize) {
        if let Some(id) = self.servers[i].proc.take() {
            self.lab.stop(id, libc::SIGTERM, Duration::from_secs(10));
        }
    }

    /// Sends `sig` to server `i`'s process (SIGSTOP, SIGCONT).
    pub fn signal(&self, i: usize, sig: libc::c_int) {
        if let Some(id) = self.servers[i].proc {
            let pid = self.lab.proc(id).pid;
            // SAFETY: kill with the specific pid of a process this lab started.
            unsafe { libc::kill(pid as i32, sig) };
        }
    }

    /// Destroys the established failover connections in server `i`'s namespace (`ss -K`): its
    /// kernel aborts them and sends a RST to the partner.
    pub fn reset(&self, i: usize) -> Result<(), String> {
        let filter = format!("( sport = :{PORT} or dport = :{PORT} )");
        let argv = ["ss", "-K", "-t", "state", "established", filter.as_str()].map(OsStr::new);
        let out = io(self.lab.exec(&self.servers[i].ns, &argv, Duration::from_secs(10)))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("ss -K failed: {}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// Partitions the failover link.
    pub fn cut(&self) -> Result<(), String> {
        io(self.lab.ip(&self.sw, &["link", "set", "pfx", "nomaster"])).map(|_| ())
    }

    /// Heals the partition.
    pub fn heal(&self) -> Result<(), String> {
        io(self.lab.ip(&self.sw, &["link", "set", "pfx", "master", "br1"])).map(|_| ())
    }

    /// Starts client `n` (a trickle client with `fresh` takes a new hardware address first).
    pub fn client_join(&mut self, n: usize, fresh: bool) -> Result<(), String> {
        let c = &mut self.clients[n];
        if c.proc.is_some() {
            return Ok(());
        }
        if let (true, Some(slot)) = (fresh, c.slot) {
            c.generation = c.generation.wrapping_add(1);
            c.mac = [0x02, 0xfb, 0, slot as u8, 0, c.generation];
            let ns = c.ns.clone();
            io(self.lab.ip(&ns, &["link", "set", "c0", "address", &mac_text(&self.clients[n].mac)]))?;
        }
        let c = &self.clients[n];
        let argv = [
            self.busybox.as_os_str(),
            OsStr::new("udhcpc"),
            OsStr::new("-f"),
            OsStr::new("-R"),
            OsStr::new("-i"),
            OsStr::new("c0"),
            OsStr::new("-s"),
            OsStr::new(&c.script),
            OsStr::new("-t"),
            OsStr::new("3"),
            OsStr::new("-T"),
            OsStr::new("2"),
            OsStr::new("-A"),
            OsStr::new("3"),
        ];
        let ns = c.ns.clone();
        let id = io(self.lab.spawn(&ns, &argv, &[]))?;
        self.clients[n].proc = Some(id);
        Ok(())
    }

    /// Stops client `n`: with `release`, udhcpc's SIGTERM (DHCPRELEASE, `-R`); otherwise
    /// SIGKILL (the client keeps its lease until it runs out).
    pub fn client_leave(&mut self, n: usize, release: bool) {
        if let Some(id) = self.clients[n].proc.take() {
            let sig = if release { libc::SIGTERM } else { libc::SIGKILL };
            self.lab.stop(id, sig, Duration::from_secs(3));
        }
    }

    /// Server `i`'s own failover state, from the running process's last `I move` line.
    pub fn state(&self, i: usize) -> Option<String> {
        let id = self.servers[i].proc?;
        let prefix = format!("failover peer {RELATIONSHIP}: I move from ");
        let lines = self.lab.proc(id).stderr.all();
        let last = lines.iter().rev().find_map(|l| l.strip_prefix(prefix.as_str()))?;
        last.split(" to ").nth(1).map(str::to_string)
    }

    /// Waits (at most `secs`) until both servers say they are normal; the seconds it took.
    pub fn wait_normal(&self, secs: u64) -> Option<f64> {
        let t = std::time::Instant::now();
        netlab::wait_for(Duration::from_secs(secs), || {
            (self.state(0).as_deref() == Some("normal") && self.state(1).as_deref() == Some("normal")).then_some(())
        })
        .map(|()| t.elapsed().as_secs_f64())
    }

    /// Every server process's log, for a failure message.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for (i, srv) in self.servers.iter().enumerate() {
            for (g, id) in srv.procs.iter().enumerate() {
                let role = if i == 0 { "primary" } else { "secondary" };
                s.push_str(&format!("---- {role} ({}) run {g}:\n", srv.who()));
                for l in self.lab.proc(*id).stderr.all() {
                    s.push_str(&l);
                    s.push('\n');
                }
            }
        }
        s
    }
}
