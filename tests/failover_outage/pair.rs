//! A failover pair serving a client segment, as the outage cases run it: a
//! switch namespace with a bridge, one namespace per server and one per
//! client, all plugged into the bridge. Both servers run the real serving
//! command line (`dhcpd -f -d -cf .. -lf .. -pf .. IFACE`), ISC's or ours;
//! the clients are busybox udhcpc daemons whose script records every event
//! with its wall-clock time and configures the address, so that renewals
//! are real unicast renewals from the bound address.

use std::ffi::OsStr;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcpd::failover::hash::{bucket_is_primary, Hba};
use dhcpd::lease::file::{read_lease_file, ReadOptions};
use dhcpd::lease::records::LeaseFileState;

use super::netlab::{self, Lab, ProcId};

pub const BIN: &str = env!("CARGO_BIN_EXE_dhcpd");
pub const ISC: &str = "/usr/sbin/dhcpd";

pub type Outcome = Result<(), String>;

pub fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

pub fn io<T>(r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

pub fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Outcome {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

/// Wall-clock seconds, the clock of the lease files and of the clients' events.
pub fn wall() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

pub fn mac_text(m: &[u8]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// Which server an implementation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    Isc,
    Ours,
}

impl Impl {
    pub fn name(self) -> &'static str {
        match self {
            Impl::Isc => "ISC",
            Impl::Ours => "ours",
        }
    }
}

/// One server of the pair: its files, and each run of it the lab started.
pub struct Server {
    pub role: &'static str,
    pub imp: Impl,
    pub ns: String,
    pub dev: &'static str,
    pub ip: Ipv4Addr,
    pub conf: String,
    pub leases: String,
    pub pid: String,
    pub runs: Vec<ProcId>,
}

impl Server {
    pub fn who(&self) -> String {
        format!("{} {}", self.imp.name(), self.role)
    }

    /// Starts the server with the real command line; a pid file left by a
    /// killed run is removed first (ISC refuses to start while the pid in it
    /// names a live process, which a reused pid may).
    pub fn start(&mut self, lab: &mut Lab) -> Result<ProcId, String> {
        let _ = std::fs::remove_file(&self.pid);
        let bin = match self.imp {
            Impl::Isc => ISC,
            Impl::Ours => BIN,
        };
        let argv: Vec<&OsStr> = [bin, "-f", "-d", "-cf", &self.conf, "-lf", &self.leases, "-pf", &self.pid, self.dev]
            .into_iter()
            .map(os)
            .collect();
        let id = io(lab.spawn(&self.ns, &argv, &[]))?;
        self.runs.push(id);
        Ok(id)
    }

    /// The current (last started) run.
    pub fn run(&self) -> ProcId {
        *self.runs.last().expect("started")
    }

    /// The current run's log.
    pub fn log(&self, lab: &Lab) -> Vec<String> {
        lab.proc(self.run()).stderr.all()
    }

    /// The lease file as a restarted server would read it.
    pub fn lease_state(&self) -> Result<LeaseFileState, String> {
        let bytes = io(std::fs::read(&self.leases))?;
        read_lease_file(&self.leases, &bytes, ReadOptions::at(wall() as i64))
            .map(|l| l.state())
            .map_err(|e| format!("{} lease file: {e}", self.who()))
    }

    /// omshell's output for `script`, run in the server's namespace against
    /// its OMAPI port.
    pub fn omshell(&self, lab: &Lab, port: u16, script: &str) -> Result<String, String> {
        let input = format!("server 127.0.0.1\nport {port}\nconnect\n{script}");
        let out = io(lab.exec_input(&self.ns, &[os("omshell")], input.as_bytes(), Duration::from_secs(20)))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    }
}

/// The failover state lines of a log for relationship `name`, prefix cut:
/// `I move from A to B`, `peer moves from A to B`, `Both servers normal`.
pub fn state_lines(log: &[String], name: &str) -> Vec<String> {
    let prefix = format!("failover peer {name}: ");
    log.iter()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter(|l| l.starts_with("I move") || l.starts_with("peer moves") || l.starts_with("Both servers"))
        .map(str::to_string)
        .collect()
}

/// Own moves only (`A -> B`): what a server decided, whatever the
/// interleaving of the two logs.
pub fn own_moves(log: &[String], name: &str) -> Vec<String> {
    state_lines(log, name)
        .iter()
        .filter_map(|l| l.strip_prefix("I move from "))
        .map(|l| l.replacen(" to ", " -> ", 1))
        .collect()
}

/// One event of a client's script.
#[derive(Clone, Debug)]
pub struct Event {
    /// Wall-clock time.
    pub t: f64,
    /// `deconfig`, `bound`, `renew`, `leasefail`, `nak`.
    pub kind: String,
    pub ip: Option<Ipv4Addr>,
    pub server: Option<Ipv4Addr>,
    pub lease: Option<i64>,
}

impl Event {
    /// A bound or renew: the client holds `ip` from `server` for `lease`.
    pub fn is_ack(&self) -> bool {
        self.kind == "bound" || self.kind == "renew"
    }
}

/// A udhcpc daemon in its own namespace.
pub struct Client {
    pub name: String,
    pub ns: String,
    pub mac: [u8; 6],
    /// Whether its load-balancing hash names the primary (split 128).
    pub hashes_to_primary: bool,
    pub events: PathBuf,
    pub id: Option<ProcId>,
}

impl Client {
    /// Every event so far.
    pub fn events(&self) -> Vec<Event> {
        let text = std::fs::read_to_string(&self.events).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let t = w.next()?.parse().ok()?;
                let kind = w.next()?.to_string();
                let mut e = Event { t, kind, ip: None, server: None, lease: None };
                for kv in w {
                    match kv.split_once('=') {
                        Some(("ip", v)) => e.ip = v.parse().ok(),
                        Some(("serverid", v)) => e.server = v.parse().ok(),
                        Some(("lease", v)) => e.lease = v.parse().ok(),
                        _ => {}
                    }
                }
                Some(e)
            })
            .collect()
    }

    /// The ACKs (bound, renew) received after `since`.
    pub fn acks_after(&self, since: f64) -> Vec<Event> {
        self.events().into_iter().filter(|e| e.is_ack() && e.t >= since).collect()
    }

    /// The last ACK.
    pub fn last_ack(&self) -> Option<Event> {
        self.events().into_iter().rev().find(Event::is_ack)
    }
}

/// Hardware addresses `02:5e:10:00:KK:NN` whose client identifier (type 1
/// and the address, as udhcpc sends it) hashes to the primary under split
/// 128 (`to_primary`) or to the secondary; `k` separates the sets cases use.
pub fn macs(k: u8, to_primary: bool, n: usize) -> Vec<[u8; 6]> {
    let hba = Hba::from_split(128).expect("split 128");
    (1..=255u8)
        .map(|i| [0x02, 0x5e, 0x10, 0x00, k, i])
        .filter(|mac| bucket_is_primary(&hba, &[&[1u8][..], &mac[..]].concat()) == to_primary)
        .take(n)
        .collect()
}

/// The lab: a switch, the two servers, the clients.
pub struct Pair {
    pub lab: Lab,
    pub sw: String,
    pub primary: Server,
    pub secondary: Server,
    pub clients: Vec<Client>,
    /// The relationship's name.
    pub name: String,
    ip_tool: PathBuf,
}

impl Pair {
    /// The segment 172.16.1.0/24 with the primary at `.100` and the
    /// secondary at `.200` (the Spanish seed's addresses), configured with
    /// `primary_conf` and `secondary_conf`, empty lease files; nothing is
    /// started.
    pub fn new(
        tag: &str,
        name: &str,
        (primary_conf, p): (&str, Impl),
        (secondary_conf, s): (&str, Impl),
    ) -> Result<Pair, String> {
        let mut lab = io(Lab::new(tag))?;
        let sw = io(lab.netns("sw"))?;
        io(lab.bridge(&sw, "br0"))?;
        let pns = io(lab.netns("p"))?;
        let sns = io(lab.netns("s"))?;
        io(lab.plug((&pns, "p0"), (&sw, "br0", "pp")))?;
        io(lab.plug((&sns, "s0"), (&sw, "br0", "ps")))?;
        io(lab.addr(&pns, "p0", "172.16.1.100/24"))?;
        io(lab.addr(&sns, "s0", "172.16.1.200/24"))?;
        let file = |lab: &Lab, f: &str, text: &str| -> Result<String, String> {
            let path = lab.dir().join(f);
            io(std::fs::write(&path, text))?;
            Ok(path.to_string_lossy().into_owned())
        };
        let primary = Server {
            role: "primary",
            imp: p,
            ns: pns,
            dev: "p0",
            ip: Ipv4Addr::new(172, 16, 1, 100),
            conf: file(&lab, "primary.conf", primary_conf)?,
            leases: file(&lab, "primary.leases", "")?,
            pid: lab.dir().join("primary.pid").to_string_lossy().into_owned(),
            runs: Vec::new(),
        };
        let secondary = Server {
            role: "secondary",
            imp: s,
            ns: sns,
            dev: "s0",
            ip: Ipv4Addr::new(172, 16, 1, 200),
            conf: file(&lab, "secondary.conf", secondary_conf)?,
            leases: file(&lab, "secondary.leases", "")?,
            pid: lab.dir().join("secondary.pid").to_string_lossy().into_owned(),
            runs: Vec::new(),
        };
        let ip_tool = netlab::which("ip").ok_or("`ip` is not installed")?;
        Ok(Pair { lab, sw, primary, secondary, clients: Vec::new(), name: name.to_string(), ip_tool })
    }

    /// A new client namespace with hardware address `mac`, plugged into the
    /// switch, running udhcpc (not started yet: see [`Pair::start_client`]).
    pub fn add_client(&mut self, name: &str, mac: [u8; 6], hashes_to_primary: bool) -> Result<usize, String> {
        let ns = io(self.lab.netns(name))?;
        let port = format!("p{name}");
        io(self.lab.plug((&ns, "c0"), (&self.sw, "br0", &port)))?;
        io(self.lab.ip(&ns, &["link", "set", "c0", "address", &mac_text(&mac)]))?;
        let events = self.lab.dir().join(format!("{name}.events"));
        self.clients.push(Client { name: name.to_string(), ns, mac, hashes_to_primary, events, id: None });
        Ok(self.clients.len() - 1)
    }

    /// Starts client `i`'s udhcpc: in the foreground, discovering every
    /// second three times and again 3 s after a failure, for as long as the
    /// case runs. Its script logs `TIME EVENT ip= serverid= lease=` and puts
    /// the address on the interface (so renewals are unicast from it).
    pub fn start_client(&mut self, i: usize) -> Outcome {
        let bb = netlab::which("busybox").ok_or("busybox is not installed")?;
        let c = &self.clients[i];
        let script = self.lab.dir().join(format!("{}.sh", c.name));
        let ip = self.ip_tool.to_string_lossy();
        let text = format!(
            "#!/bin/sh\n\
             echo \"$(date +%s.%N) $1 ip=$ip serverid=$serverid lease=$lease\" >> {ev}\n\
             case \"$1\" in\n\
             deconfig) {ip} addr flush dev \"$interface\" ;;\n\
             bound|renew) {ip} addr flush dev \"$interface\"; {ip} addr add \"$ip/24\" dev \"$interface\" ;;\n\
             esac\n",
            ev = c.events.display()
        );
        io(std::fs::write(&script, text))?;
        io(std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)))?;
        let script = script.to_string_lossy().into_owned();
        let argv = [
            bb.as_os_str(),
            os("udhcpc"),
            os("-f"),
            os("-i"),
            os("c0"),
            os("-s"),
            os(&script),
            os("-t"),
            os("3"),
            os("-T"),
            os("1"),
            os("-A"),
            os("3"),
        ];
        let ns = c.ns.clone();
        let id = io(self.lab.spawn(&ns, &argv, &[]))?;
        self.clients[i].id = Some(id);
        Ok(())
    }

    /// The primary (`true`) or the secondary.
    pub fn server(&self, primary: bool) -> &Server {
        if primary {
            &self.primary
        } else {
            &self.secondary
        }
    }

    /// Starts (or restarts) the primary (`true`) or the secondary.
    pub fn start_server(&mut self, primary: bool) -> Result<ProcId, String> {
        let srv = if primary { &mut self.primary } else { &mut self.secondary };
        srv.start(&mut self.lab)
    }

    /// Stops the current run of a server with `sig` (bounded).
    pub fn stop_server(&mut self, primary: bool, sig: libc::c_int) {
        let id = self.server(primary).run();
        self.lab.stop(id, sig, Duration::from_secs(5));
    }

    /// Waits until client `i` has an ACK after `since`; returns the first.
    pub fn wait_ack(&self, i: usize, since: f64, secs: u64) -> Option<Event> {
        netlab::wait_for(Duration::from_secs(secs), || self.clients[i].acks_after(since).into_iter().next())
    }

    /// Waits for `line` (exactly) in the current run of `server`'s log.
    pub fn wait_line(&self, server: &Server, line: &str, secs: u64) -> Result<f64, String> {
        self.lab
            .proc(server.run())
            .stderr
            .wait_line(Duration::from_secs(secs), |l| l == line)
            .map(|_| wall())
            .ok_or_else(|| format!("no `{line}` from {} within {secs} s\n{}", server.who(), self.dump()))
    }

    /// Waits for `failover peer NAME: I move from A to B`.
    pub fn wait_move(&self, server: &Server, from: &str, to: &str, secs: u64) -> Result<f64, String> {
        self.wait_line(server, &format!("failover peer {}: I move from {from} to {to}", self.name), secs)
    }

    /// Every run's log of both servers and every client's events, for
    /// failure messages.
    pub fn dump(&self) -> String {
        let mut s = String::new();
        for srv in [&self.primary, &self.secondary] {
            for (n, id) in srv.runs.iter().enumerate() {
                s.push_str(&format!(
                    "---- {} run {} stderr:\n{}\n",
                    srv.who(),
                    n + 1,
                    self.lab.proc(*id).stderr.all().join("\n")
                ));
            }
        }
        for c in &self.clients {
            let ev = std::fs::read_to_string(&c.events).unwrap_or_default();
            s.push_str(&format!("---- client {} ({}) events:\n{ev}", c.name, mac_text(&c.mac)));
        }
        if std::env::var_os("FAILOVER_OUTAGE_VERBOSE").is_some() {
            for srv in [&self.primary, &self.secondary] {
                let text = std::fs::read_to_string(&srv.leases).unwrap_or_default();
                s.push_str(&format!("---- {} lease file:\n{text}", srv.who()));
            }
        }
        s
    }
}
