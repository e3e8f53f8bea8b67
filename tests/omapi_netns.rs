//! OMAPI against the real `omshell`, compared with the real ISC dhcpd 4.4 on the same
//! configuration, inside a network namespace this test creates (see `netlab`); no traffic
//! leaves it.
//!
//! Both sides run the real serving command line, `dhcpd -4 -f -d -cf -lf -pf d0`, on a veth in
//! the same namespace: ours, then ISC's `/usr/sbin/dhcpd`. Both get the lab
//! configuration of `src/wire/omapi/testdata/lab` (failover peer `fo-test` whose partner does
//! not answer, keys `omkey` and `shakey`, `omapi-key omkey`) and its seed lease file.
//!
//! What is proven:
//!
//! * the seeds' steps (`server`, `port 7911`, `key NAME SECRET`, `new failover-state`,
//!   `set name = "fo-test"`, `open`, `show` of every attribute, `local-state` set to
//!   partner-down), host add / lookup by name and hardware address / update / remove, lease
//!   lookup by address, hardware address and client identifier, the control object, no key,
//!   a wrong secret and an unknown key: omshell prints the same with both servers, except
//!   the two addresses ISC gets wrong (8 bytes of a pointer; ours are the addresses) and the
//!   state start times;
//! * lease changes through omshell (`ends`, `state`, `flags`, a variable, ISC's refusals, and
//!   values piling up across updates as omshell sends them): omshell prints the same with
//!   both servers (but for the variable, whose value ISC shows as a pointer's bits), both log
//!   `lease A end changed from N to M` / `lease A state changed from X to Y`, and both lease
//!   files end with the same records for the leases changed;
//! * a host added through omshell is in our lease file as ISC writes it, is found again by a
//!   restarted server, and ISC dhcpd reading that lease file finds it too;
//! * a thousand idle connections, an oversized message and a message cut short: the
//!   oversized one is dropped at once, and omshell is served all the while.
//!
//! `OMAPI_NETNS_SHOW=1` prints both servers' omshell output for each script.
//!
//! A custom harness (no libtest), so that a case that cannot run here (not root, a tool
//! missing) is reported as skipped, loudly, and counted as such in the closing line. The
//! binary also has two helper modes it runs inside the namespace (`--idle-clients`,
//! `--oversized`).

mod netlab;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use netlab::{Lab, ProcId};

const BIN: &str = env!("CARGO_BIN_EXE_dhcpd");
const ISC: &str = "/usr/sbin/dhcpd";
const LAB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/wire/omapi/testdata/lab");
/// Upper bound for any single step of a case.
const STEP: Duration = Duration::from_secs(20);
const KEY: &str = "key omkey dGhpcyBpcyBhIHRlc3Qga2V5IQ==\n";
const IDLE: &str = "--idle-clients";
const OVERSIZED: &str = "--oversized";

type Outcome = Result<(), String>;

fn io<T>(r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Outcome {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// One namespace with a veth for ISC's interface, the lab's files in the scratch directory.
struct Rig {
    lab: Lab,
    ns: String,
}

impl Rig {
    fn new(name: &str) -> Result<Rig, String> {
        let mut lab = io(Lab::new(name))?;
        let ns = io(lab.netns("om"))?;
        io(lab.ip(&ns, &["link", "add", "d0", "type", "veth", "peer", "name", "d1"]))?;
        io(lab.ip(&ns, &["link", "set", "d1", "up"]))?;
        io(lab.addr(&ns, "d0", "10.99.0.1/24"))?;
        io(lab.ip(&ns, &["link", "set", "d0", "up"]))?;
        let conf = io(std::fs::read_to_string(format!("{LAB}/dhcpd-key.conf")))?;
        io(std::fs::write(lab.dir().join("dhcpd.conf"), conf))?;
        Ok(Rig { lab, ns })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.lab.dir().join(name)
    }

    /// A fresh copy of the seed lease file called `name`.
    fn seed(&self, name: &str) -> Result<PathBuf, String> {
        let p = self.path(name);
        io(std::fs::copy(format!("{LAB}/leases.seed"), &p))?;
        Ok(p)
    }

    fn start(&mut self, argv: &[&OsStr], ready: &str) -> Result<ProcId, String> {
        let id = io(self.lab.spawn(&self.ns, argv, &[]))?;
        let p = self.lab.proc(id);
        if p.stderr.wait_line(STEP, |l| l.contains(ready)).is_none() {
            let log = p.stderr.all().join("\n");
            self.lab.stop(id, libc::SIGKILL, STEP);
            return Err(format!("server did not start:\n{log}"));
        }
        Ok(id)
    }

    fn start_isc(&mut self, leases: &Path) -> Result<ProcId, String> {
        let conf = self.path("dhcpd.conf");
        let pid = self.path("isc.pid");
        let argv = [os(ISC), os("-4"), os("-f"), os("-d"), os("-cf"), conf.as_os_str(), os("-lf"), leases.as_os_str(), os("-pf"), pid.as_os_str(), os("d0")];
        self.start(&argv, "Server starting service.")
    }

    fn start_ours(&mut self, leases: &Path) -> Result<ProcId, String> {
        let conf = self.path("dhcpd.conf");
        let pid = self.path("ours.pid");
        let argv = [os(BIN), os("-4"), os("-f"), os("-d"), os("-cf"), conf.as_os_str(), os("-lf"), leases.as_os_str(), os("-pf"), pid.as_os_str(), os("d0")];
        self.start(&argv, "Server starting service.")
    }

    fn stop(&mut self, id: ProcId) {
        self.lab.stop(id, libc::SIGTERM, STEP);
    }

    /// omshell's output for a script: `keys` (key lines, or none) before `connect`, then
    /// `script`.
    fn omshell(&self, keys: &str, script: &str) -> Result<String, String> {
        let input = format!("server 127.0.0.1\nport 7911\n{keys}connect\n{script}");
        let out = io(self.lab.exec_input(&self.ns, &[os("omshell")], input.as_bytes(), STEP))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    }
}

const FAILOVER: &str = "new failover-state\nset name = \"fo-test\"\nopen\nclose\nnew failover-state\nset name = \"nope\"\nopen\n";
const PARTNER_DOWN: &str = "new failover-state\nset name = \"fo-test\"\nopen\nset local-state = 4\nupdate\nclose\nnew failover-state\nset name = \"fo-test\"\nopen\n";
const HOST_ADD: &str = "new host\nset name = \"h1\"\nset hardware-address = 00:11:22:33:44:55\nset hardware-type = 1\nset ip-address = 10.99.0.55\ncreate\nclose\n\
    new host\nset name = \"h1\"\nopen\nclose\nnew host\nset hardware-address = 00:11:22:33:44:55\nopen\nset ip-address = 10.99.0.56\nupdate\nclose\n\
    new host\nset name = \"h1\"\nopen\n";
const HOST_LOOKUP: &str = "new host\nset name = \"h1\"\nopen\n";
const HOST_REMOVE: &str = "new host\nset name = \"h1\"\nopen\nremove\nclose\nnew host\nset name = \"h1\"\nopen\n";
const LEASES: &str = "new lease\nset ip-address = 10.99.0.60\nopen\nclose\nnew lease\nset ip-address = 10.99.0.99\nopen\nclose\n\
    new lease\nset hardware-address = 52:54:00:12:34:56\nopen\nclose\nnew lease\nset dhcp-client-identifier = 01:52:54:00:12:34:56\nopen\n";
const CONTROL: &str = "new control\nopen\nset state = 7\nupdate\n";

/// The scripts of the comparison, in order, against one server process:
/// (name, key lines, script).
const SCRIPTS: [(&str, &str, &str); 10] = [
    ("failover-state", KEY, FAILOVER),
    ("partner-down", KEY, PARTNER_DOWN),
    ("host add", KEY, HOST_ADD),
    ("lease lookup", KEY, LEASES),
    ("host remove", KEY, HOST_REMOVE),
    ("control", KEY, CONTROL),
    ("no key", "", FAILOVER),
    ("wrong secret", "key omkey d3JvbmcgdGVzdCBrZXkgc2VjcmV0IQ==\n", FAILOVER),
    ("unknown key", "key nosuch dGhpcyBpcyBhIHRlc3Qga2V5IQ==\n", FAILOVER),
    ("sha256 key, not the omapi-key", "key shakey c2hhMjU2IHRlc3Qgc2VjcmV0IGtleSBieXRlcw==\nkey-algorithm hmac-sha256\n", FAILOVER),
];

const L60: &str = "new lease\nset ip-address = 10.99.0.60\nopen\n";
const L51: &str = "new lease\nset ip-address = 10.99.0.51\nopen\n";

/// Lease changes, each script against the state the previous ones left, on one server
/// process: (name, script). Every `update` is followed by the lease opened again.
fn lease_scripts() -> Vec<(&'static str, String)> {
    let then_show = |lease: &str, sets: &str| format!("{lease}{sets}update\nclose\n{lease}");
    vec![
        // An active lease given a new end: ISC makes the pending transition (to expired).
        ("ends", then_show(L60, "set ends = 1900000000\n")),
        ("state active", then_show(L60, "set state = 2\n")),
        (
            "refusals and unchanged names",
            [
                "set starts = 1\n",
                "set subnet = 1\n",
                "set state = 9\n",
                "set ip-address = 10.99.0.61\n",
                "set client-hostname = \"other\"\n",
            ]
            .iter()
            .map(|set| format!("{L60}{set}update\nclose\n"))
            .collect::<String>()
                + L60,
        ),
        ("variable", then_show(L60, "set foo = \"bar\"\n")),
        ("flags reserved", then_show(L51, "set flags = 4\n")),
        ("state free", then_show(L60, "set state = 1\n")),
        // omshell sends every value set since the last open: the second update repeats `ends`.
        ("values pile up", format!("{L60}set ends = 1950000000\nupdate\nset state = 2\nupdate\nset starts = 1\nupdate\nclose\n{L60}")),
    ]
}

/// omshell's output with the run-dependent values masked; the addresses are returned apart.
fn normalize(out: &str) -> (String, Vec<String>) {
    let mut addrs = Vec::new();
    let mut text = String::new();
    for line in out.lines() {
        let masked = if let Some((name, value)) = line.split_once(" = ") {
            let bare = name.trim_start_matches("> ").trim_start_matches("obj: ");
            match bare {
                "partner-address" | "local-address" => {
                    addrs.push(format!("{bare} = {value}"));
                    format!("{name} = <address>")
                }
                "partner-stos" | "local-stos" => format!("{name} = <time>"),
                // ISC shows a variable set through OMAPI as the bits of a pointer.
                "foo" => format!("{name} = <variable>"),
                _ => line.to_string(),
            }
        } else {
            line.to_string()
        };
        text.push_str(&masked);
        text.push('\n');
    }
    (text, addrs)
}

fn omshell_matches_isc() -> Outcome {
    let mut rig = Rig::new("omshell")?;
    let run_all = |rig: &Rig| -> Result<Vec<String>, String> { SCRIPTS.iter().map(|(_, keys, script)| rig.omshell(keys, script)).collect() };
    let isc_leases = rig.seed("isc.leases")?;
    let isc = rig.start_isc(&isc_leases)?;
    let theirs = run_all(&rig);
    rig.stop(isc);
    let theirs = theirs?;
    let our_leases = rig.seed("our.leases")?;
    let ours_id = rig.start_ours(&our_leases)?;
    let ours = run_all(&rig);
    let server_log = rig.lab.proc(ours_id).stderr.all().join("\n");
    rig.stop(ours_id);
    let ours = ours?;
    let show = std::env::var_os("OMAPI_NETNS_SHOW").is_some();
    for ((name, _, _), (o, t)) in SCRIPTS.iter().zip(ours.iter().zip(&theirs)) {
        if show {
            println!("===== {name}: ISC\n{t}===== {name}: ours\n{o}");
        }
        let (o_text, o_addr) = normalize(o);
        let (t_text, _) = normalize(t);
        ensure(o_text == t_text, || format!("{name}: omshell differs\n--- ISC\n{t}\n--- ours\n{o}\n--- our server\n{server_log}"))?;
        for a in o_addr {
            ensure(a == "partner-address = 0a:63:00:02" || a == "local-address = 0a:63:00:01", || format!("{name}: {a}"))?;
        }
    }
    // The steps did something: partner-down shown, the host made and removed, a refusal.
    ensure(ours[1].matches("local-state = 00:00:00:04").count() == 1, || format!("partner-down not shown:\n{}", ours[1]))?;
    ensure(ours[2].contains("hardware-address = 00:11:22:33:44:55") && ours[2].contains("ip-address = 0a:63:00:38"), || ours[2].clone())?;
    ensure(ours[6].contains("no key") || ours[6].contains("key"), || format!("no-key refusal:\n{}", ours[6]))?;
    let written = io(std::fs::read_to_string(&our_leases))?;
    ensure(written.contains("host h1 {\n  dynamic;\n  hardware ethernet 00:11:22:33:44:55;\n  fixed-address 10.99.0.55;\n}\n"), || written.clone())?;
    ensure(written.contains("host h1 {\n  dynamic;\n  deleted;\n}\n"), || written.clone())?;
    ensure(written.contains("my state partner-down"), || written.clone())
}

/// The final record of `ip` in a lease file, with the value of the variable `foo` (which ISC
/// stores as garbage) cleared.
fn final_lease(path: &Path, ip: &str) -> Result<dhcpd::lease::Lease, String> {
    let bytes = io(std::fs::read(path))?;
    let log = dhcpd::lease::file::read_lease_file("leases", &bytes, dhcpd::lease::file::ReadOptions::at(0)).map_err(|e| format!("{e}"))?;
    let ip: std::net::Ipv4Addr = ip.parse().map_err(|_| "ip")?;
    let mut l = log.leases().filter(|l| l.ip == ip).last().cloned().ok_or_else(|| format!("no lease {ip} in {}", path.display()))?;
    for b in &mut l.bindings {
        if b.name == "foo" {
            b.value = dhcpd::lease::BindingValue::Data(Vec::new());
        }
    }
    Ok(l)
}

fn lease_changes_match_isc() -> Outcome {
    let mut rig = Rig::new("leases")?;
    let scripts = lease_scripts();
    let run_all = |rig: &Rig| -> Result<Vec<String>, String> { scripts.iter().map(|(_, script)| rig.omshell(KEY, script)).collect() };
    let isc_leases = rig.seed("isc.leases")?;
    let isc = rig.start_isc(&isc_leases)?;
    let theirs = run_all(&rig);
    let isc_log = rig.lab.proc(isc).stderr.all().join("\n");
    rig.stop(isc);
    let theirs = theirs?;
    let our_leases = rig.seed("our.leases")?;
    let ours_id = rig.start_ours(&our_leases)?;
    let ours = run_all(&rig);
    let our_log = rig.lab.proc(ours_id).stderr.all().join("\n");
    rig.stop(ours_id);
    let ours = ours?;
    let show = std::env::var_os("OMAPI_NETNS_SHOW").is_some();
    for ((name, _), (o, t)) in scripts.iter().zip(ours.iter().zip(&theirs)) {
        if show {
            println!("===== {name}: ISC\n{t}===== {name}: ours\n{o}");
        }
        let (o_text, _) = normalize(o);
        let (t_text, _) = normalize(t);
        ensure(o_text == t_text, || {
            format!("{name}: omshell differs\n--- ISC\n{t}\n--- ours\n{o}\n--- ISC's log\n{isc_log}\n--- our log\n{our_log}")
        })?;
    }
    // The changes happened, were logged as ISC logs them, and ours shows the variable's value.
    ensure(ours[0].contains("ends = 1900000000") && ours[0].contains("state = 00:00:00:03"), || ours[0].clone())?;
    ensure(ours[3].contains("foo = \"bar\""), || ours[3].clone())?;
    for line in ["lease 10.99.0.60 end changed from 2147483647 to 1900000000", "lease 10.99.0.60 state changed from expired to active"] {
        for (who, log) in [("ISC", &isc_log), ("ours", &our_log)] {
            ensure(log.lines().any(|l| l == line), || format!("{who} did not log `{line}`:\n{log}"))?;
        }
    }
    // Both lease files end with the same records.
    for ip in ["10.99.0.60", "10.99.0.51"] {
        let (o, t) = (final_lease(&our_leases, ip)?, final_lease(&isc_leases, ip)?);
        ensure(o == t, || format!("lease {ip} differs\n--- ISC\n{t:?}\n--- ours\n{o:?}"))?;
    }
    let o = final_lease(&our_leases, "10.99.0.60")?;
    ensure(o.bindings.iter().any(|b| b.name == "remote-handle") && o.bindings.iter().any(|b| b.name == "foo"), || format!("{o:?}"))
}

fn host_survives_a_restart_and_isc_reads_it() -> Outcome {
    let mut rig = Rig::new("restart")?;
    let leases = rig.seed("our.leases")?;
    let ours = rig.start_ours(&leases)?;
    let added = rig.omshell(KEY, HOST_ADD);
    rig.stop(ours);
    let added = added?;
    let ours = rig.start_ours(&leases)?;
    let again = rig.omshell(KEY, HOST_LOOKUP);
    rig.stop(ours);
    let again = again?;
    let tail = |s: &str| s.rsplit("obj: host").next().unwrap_or("").to_string();
    ensure(again.contains("name = \"h1\"") && tail(&again) == tail(&added), || format!("after restart:\n{again}\nbefore:\n{added}"))?;
    // ISC dhcpd reading our lease file.
    let isc_copy = rig.path("isc.leases");
    io(std::fs::copy(&leases, &isc_copy))?;
    let isc = rig.start_isc(&isc_copy)?;
    let seen = rig.omshell(KEY, HOST_LOOKUP);
    rig.stop(isc);
    let seen = seen?;
    ensure(tail(&seen) == tail(&again), || format!("ISC reading our file:\n{seen}\nours:\n{again}"))
}

fn refusals_and_idle_connections_leave_omshell_served() -> Outcome {
    let mut rig = Rig::new("idle")?;
    let leases = rig.seed("our.leases")?;
    let ours = rig.start_ours(&leases)?;
    let result = (|| -> Outcome {
        let idle = io(rig.lab.spawn(&rig.ns, &[os(&self_exe()), os(IDLE), os("127.0.0.1:7911"), os("1000"), os("15")], &[]))?;
        let held = rig.lab.proc(idle).stdout.wait_line(STEP, |l| l.starts_with("holding"));
        ensure(held.is_some(), || format!("idle clients: {:?}", rig.lab.proc(idle).stderr.all()))?;
        let t = Instant::now();
        let out = rig.omshell(KEY, FAILOVER)?;
        ensure(out.contains("local-port = 00:00:02:87"), || format!("omshell with 1000 idle connections:\n{out}"))?;
        ensure(t.elapsed() < Duration::from_secs(10), || format!("omshell took {:?}", t.elapsed()))?;
        let big = io(rig.lab.exec(&rig.ns, &[os(&self_exe()), os(OVERSIZED), os("127.0.0.1:7911")], STEP))?;
        let said = String::from_utf8_lossy(&big.stdout).into_owned();
        ensure(said.starts_with("closed after 8 bytes"), || format!("oversized: {said} {}", String::from_utf8_lossy(&big.stderr)))?;
        let out = rig.omshell(KEY, FAILOVER)?;
        ensure(out.contains("local-port = 00:00:02:87"), || format!("omshell after the oversized message:\n{out}"))?;
        rig.lab.stop(idle, libc::SIGTERM, STEP);
        Ok(())
    })();
    rig.stop(ours);
    result
}

fn self_exe() -> String {
    std::env::current_exe().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Helper mode: opens `n` connections to `addr` (half of them send an introduction, one a
/// message cut short), says so, and holds them for `secs` seconds.
fn idle_clients(args: &[String]) -> i32 {
    let (Some(addr), Some(n), Some(secs)) = (args.first(), args.get(1).and_then(|n| n.parse::<usize>().ok()), args.get(2).and_then(|s| s.parse::<u64>().ok())) else {
        return 2;
    };
    let mut held = Vec::new();
    for i in 0..n {
        match TcpStream::connect(addr.as_str()) {
            Ok(mut s) => {
                if i % 2 == 0 {
                    let _ = s.write_all(&[0, 0, 0, 100, 0, 0, 0, 24]);
                }
                if i == 1 {
                    // An introduction and the first 30 bytes of an OPEN.
                    let _ = s.write_all(&[0, 0, 0, 100, 0, 0, 0, 24]);
                    let _ = s.write_all(&[0u8; 11]);
                    let _ = s.write_all(&[1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, b't', b'y', b'p', b'e']);
                }
                held.push(s);
            }
            Err(e) => eprintln!("connect {i}: {e}"),
        }
    }
    println!("holding {} connections", held.len());
    let _ = std::io::stdout().flush();
    std::thread::sleep(Duration::from_secs(secs));
    0
}

/// Helper mode: sends a message whose first value claims 4 GB and reports how the server
/// answered.
fn oversized(args: &[String]) -> i32 {
    let Some(addr) = args.first() else { return 2 };
    let Ok(mut s) = TcpStream::connect(addr.as_str()) else { return 3 };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let mut msg = vec![0, 0, 0, 100, 0, 0, 0, 24];
    msg.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    msg.extend_from_slice(&[0, 4, b't', b'y', b'p', b'e', 0xff, 0xff, 0xff, 0xff]);
    let _ = s.write_all(&msg);
    let t = Instant::now();
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) => println!("closed after {} bytes in {:?}", got.len(), t.elapsed()),
        Err(e) => println!("not closed: {e} after {} bytes", got.len()),
    }
    0
}

struct Case {
    name: &'static str,
    needs: &'static [&'static str],
    run: fn() -> Outcome,
}

const CASES: &[Case] = &[
    Case { name: "omshell_matches_isc", needs: &["omshell", "dhcpd"], run: omshell_matches_isc },
    Case { name: "lease_changes_match_isc", needs: &["omshell", "dhcpd"], run: lease_changes_match_isc },
    Case { name: "host_survives_a_restart_and_isc_reads_it", needs: &["omshell", "dhcpd"], run: host_survives_a_restart_and_isc_reads_it },
    Case { name: "refusals_and_idle_connections_leave_omshell_served", needs: &["omshell"], run: refusals_and_idle_connections_leave_omshell_served },
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some(IDLE) => std::process::exit(idle_clients(&args[2..])),
        Some(OVERSIZED) => std::process::exit(oversized(&args[2..])),
        _ => {}
    }
    let filter: Option<String> = args.iter().skip(1).find(|a| !a.starts_with('-')).cloned();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for case in CASES.iter().filter(|c| filter.as_deref().map_or(true, |f| c.name.contains(f))) {
        if let Some(why) = netlab::prerequisites(case.needs) {
            println!("test {} ... SKIPPED: {why}", case.name);
            eprintln!("!!!!! omapi_netns: {} NOT RUN: {why} !!!!!", case.name);
            skipped += 1;
            continue;
        }
        match std::panic::catch_unwind(case.run) {
            Ok(Ok(())) => {
                println!("test {} ... ok", case.name);
                passed += 1;
            }
            Ok(Err(msg)) => {
                println!("test {} ... FAILED\n{msg}", case.name);
                failed += 1;
            }
            Err(_) => {
                println!("test {} ... FAILED (panicked)", case.name);
                failed += 1;
            }
        }
    }
    println!("\nomapi_netns: {passed} passed, {failed} failed, {skipped} skipped");
    std::process::exit(if failed > 0 { 1 } else { 0 });
}
