//! The IO shell on real links, with real clients and the real ISC dhcpd, inside network
//! namespaces this test creates (see `netlab`); no traffic leaves them.
//!
//! The server side is `dhcpd --selftest-echo` (`src/io/selftest.rs`): the real start-up
//! sequence, packet sockets, fallback socket, daemon and pid file, with a handler that only
//! logs and offers one address. What is proven:
//!
//! * interface selection prints exactly ISC's lines, in ISC's order, for the same links
//!   (automatic choice, named interfaces, none usable), compared with `/usr/sbin/dhcpd`;
//! * a DHCPDISCOVER from busybox udhcpc and from ISC dhclient reaches our packet socket (we
//!   log its chaddr); our DHCPOFFER frame, built without ARP, arrives in the client's
//!   namespace with ISC's addressing and headers, and the client answers it with a
//!   DHCPREQUEST naming our address and server identifier;
//! * daemonising: the parent exits 0 once the child serves, the pid file names the
//!   detached child (`dhcpd`, its own session), a second start is refused with ISC's
//!   message, SIGTERM/SIGINT stop it cleanly (status 0, pid file removed).
//!
//! A custom harness (no libtest), so that a case that cannot run here (not root, a tool
//! missing) is reported as skipped, loudly, and counted as such in the closing line.

mod netlab;
#[path = "io_netns/startup.rs"]
mod startup;
#[path = "io_netns/syslog.rs"]
mod syslog;

use std::ffi::OsStr;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use dhcpd::wire::dhcp::{MessageType, OpCode, Packet, Repr};
use dhcpd::wire::frame::FrameRepr;
use netlab::{Frame, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_dhcpd");
const ISC: &str = "/usr/sbin/dhcpd";
const OFFER: &str = "10.77.0.50";
const SERVER_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const SUBNET: &str = "subnet 10.77.0.0 netmask 255.255.255.0 { }\n";
const FALLBACK_LINE: &str = "Sending on   Socket/fallback/fallback-net";
const STARTED: &str = "Server starting service.";
/// Upper bound for any single step of a case.
const STEP: Duration = Duration::from_secs(20);

type Outcome = Result<(), String>;

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn hw(mac: &[u8]) -> String {
    mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Outcome {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

fn io<T>(r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// A server namespace `srv` with `s0` (10.77.0.1/24) and a client namespace `cli` with
/// `c0`, joined by a bridge in a third namespace.
struct Segment {
    srv: String,
    cli: String,
}

fn segment(lab: &mut Lab) -> Result<Segment, String> {
    let srv = io(lab.netns("srv"))?;
    let cli = io(lab.netns("cli"))?;
    let sw = io(lab.netns("sw"))?;
    io(lab.bridge(&sw, "br0"))?;
    io(lab.plug((&srv, "s0"), (&sw, "br0", "ps")))?;
    io(lab.plug((&cli, "c0"), (&sw, "br0", "pc")))?;
    io(lab.addr(&srv, "s0", "10.77.0.1/24"))?;
    Ok(Segment { srv, cli })
}

fn write(lab: &Lab, name: &str, text: &str) -> Result<String, String> {
    let p = lab.dir().join(name);
    io(std::fs::write(&p, text))?;
    Ok(p.to_string_lossy().into_owned())
}

/// Starts our server in the foreground (`-d`) and waits until it serves.
fn start_echo(lab: &mut Lab, ns: &str, conf: &str, pid: &str, extra: &[&str]) -> Result<netlab::ProcId, String> {
    let mut argv = vec![
        os(BIN),
        os("--selftest-echo"),
        os("-d"),
        os("-cf"),
        os(conf),
        os("-pf"),
        os(pid),
    ];
    argv.extend(extra.iter().map(|s| os(s)));
    let id = io(lab.spawn(ns, &argv, &[("DHCPD_SELFTEST_OFFER", OFFER)]))?;
    let p = lab.proc(id);
    if p.stderr.wait_line(STEP, |l| l == STARTED).is_none() {
        return Err(format!(
            "our server did not start; stderr:\n{}",
            p.stderr.all().join("\n")
        ));
    }
    Ok(id)
}

/// The DHCP message in a captured frame, if it is UDP/IPv4 with a parsable payload.
fn dhcp_of(f: &Frame) -> Option<(FrameRepr, Repr<'static>)> {
    let (repr, payload) = FrameRepr::parse(&f.bytes, false).ok()?;
    let msg = Repr::parse(&Packet::new_checked(payload).ok()?).ok()?.into_owned();
    Some((repr, msg))
}

/// The exchange every client case checks: DISCOVER seen by us, our OFFER frame in the
/// client's namespace with ISC's addressing, the client's REQUEST for our address.
fn check_exchange(
    lab: &Lab,
    seg: &Segment,
    server: netlab::ProcId,
    cap: &netlab::Capture,
    client_mac: [u8; 6],
    broadcast: bool,
) -> Outcome {
    let srv_mac = io(lab.mac(&seg.srv, "s0"))?;
    let cmac = hw(&client_mac);
    let log = &lab.proc(server).stderr;
    let listening = format!("Listening on LPF/s0/{}/10.77.0.0/24", hw(&srv_mac));
    ensure(log.all().contains(&listening), || {
        format!("no `{listening}` in:\n{}", log.all().join("\n"))
    })?;

    let discover_line = format!("selftest: DHCPDISCOVER from {cmac} via s0");
    ensure(log.wait_line(STEP, |l| l == discover_line).is_some(), || {
        format!(
            "our raw socket never saw the client's DISCOVER (`{discover_line}`); log:\n{}",
            log.all().join("\n")
        )
    })?;

    // The DISCOVER as the client sent it (outgoing in its namespace), and our OFFER to it.
    let discover = cap
        .wait_frame(STEP, |f| {
            f.pkttype == libc::PACKET_OUTGOING
                && dhcp_of(f).is_some_and(|(r, m)| r.dst_port == 67 && m.message_type() == Some(MessageType::Discover))
        })
        .and_then(|f| dhcp_of(&f))
        .ok_or("no DISCOVER captured in the client namespace")?;
    let offer = cap
        .wait_frame(STEP, |f| {
            f.pkttype != libc::PACKET_OUTGOING
                && dhcp_of(f).is_some_and(|(r, m)| {
                    r.dst_port == 68 && m.op == OpCode::Reply && m.message_type() == Some(MessageType::Offer)
                })
        })
        .and_then(|f| dhcp_of(&f))
        .ok_or("our OFFER frame never reached the client namespace")?;
    let (frame, msg) = offer;
    let (_, req) = discover;
    ensure(msg.xid == req.xid, || {
        format!("OFFER xid {:#x} is not the DISCOVER's {:#x}", msg.xid, req.xid)
    })?;
    ensure(msg.yiaddr == OFFER.parse::<Ipv4Addr>().unwrap(), || {
        format!("offered {}", msg.yiaddr)
    })?;
    ensure(frame.src_mac == srv_mac, || {
        format!("frame from {} not {}", hw(&frame.src_mac), hw(&srv_mac))
    })?;
    ensure(frame.src_addr == SERVER_ADDR && frame.src_port == 67, || {
        format!("from {}:{}", frame.src_addr, frame.src_port)
    })?;
    ensure(
        frame.tos == 0x10 && frame.ttl == 128 && frame.ident == 0 && !frame.dont_fragment,
        || format!("not ISC's IP header: {frame:?}"),
    )?;
    // ISC's rule: broadcast bit → 255.255.255.255 and broadcast MAC; else yiaddr and chaddr, no ARP.
    ensure(req.broadcast() == broadcast, || {
        format!("the client's broadcast bit is {}", req.broadcast())
    })?;
    if req.broadcast() {
        ensure(
            frame.dst_mac == [0xff; 6] && frame.dst_addr == Ipv4Addr::BROADCAST,
            || format!("broadcast reply sent to {frame:?}"),
        )?;
    } else {
        ensure(frame.dst_mac == client_mac && frame.dst_addr == msg.yiaddr, || {
            format!("unicast reply sent to {frame:?}")
        })?;
    }

    // The client took our frame for a real offer.
    let request_line = format!("selftest: DHCPREQUEST for {OFFER} ({SERVER_ADDR}) from {cmac} via s0");
    ensure(log.wait_line(STEP, |l| l == request_line).is_some(), || {
        format!(
            "the client never requested our offer (`{request_line}`); log:\n{}",
            log.all().join("\n")
        )
    })
}

/// Stops our server with `sig` and checks the clean stop: status 0, pid file removed.
fn clean_stop(lab: &mut Lab, server: netlab::ProcId, sig: libc::c_int, pid_file: &str) -> Outcome {
    let status = lab.stop(server, sig, STEP).ok_or("server did not stop on the signal")?;
    ensure(status.code() == Some(0), || {
        format!("exit status {status} after signal {sig}")
    })?;
    ensure(!Path::new(pid_file).exists(), || {
        "pid file left behind after a clean stop".into()
    })
}

fn echo_with_udhcpc() -> Outcome {
    udhcpc_case(&[])
}

/// `-B`: the client asks for broadcast replies, so our OFFER must be broadcast.
fn echo_with_udhcpc_broadcast() -> Outcome {
    udhcpc_case(&["-B"])
}

fn udhcpc_case(extra: &[&str]) -> Outcome {
    let mut lab = io(Lab::new("udhcpc"))?;
    let seg = segment(&mut lab)?;
    let conf = write(&lab, "dhcpd.conf", SUBNET)?;
    let pid = lab.dir().join("dhcpd.pid").to_string_lossy().into_owned();
    let server = start_echo(&mut lab, &seg.srv, &conf, &pid, &[])?;
    let cap = io(lab.capture(&seg.cli, "c0"))?;
    let client_mac = io(lab.mac(&seg.cli, "c0"))?;
    let busybox = netlab::which("busybox").ok_or("busybox vanished")?;
    let mut argv = vec![
        busybox.as_os_str(),
        os("udhcpc"),
        os("-f"),
        os("-i"),
        os("c0"),
        os("-s"),
        os("/bin/true"),
        os("-t"),
        os("5"),
        os("-T"),
        os("2"),
    ];
    argv.extend(extra.iter().map(|a| os(a)));
    let client = io(lab.spawn(&seg.cli, &argv, &[]))?;
    check_exchange(&lab, &seg, server, &cap, client_mac, extra.contains(&"-B"))?;
    lab.stop(client, libc::SIGTERM, STEP);
    clean_stop(&mut lab, server, libc::SIGINT, &pid)
}

fn echo_with_dhclient() -> Outcome {
    let mut lab = io(Lab::new("dhclient"))?;
    let seg = segment(&mut lab)?;
    let conf = write(&lab, "dhcpd.conf", SUBNET)?;
    let pid = lab.dir().join("dhcpd.pid").to_string_lossy().into_owned();
    let server = start_echo(&mut lab, &seg.srv, &conf, &pid, &["s0"])?;
    let cap = io(lab.capture(&seg.cli, "c0"))?;
    let client_mac = io(lab.mac(&seg.cli, "c0"))?;
    let leases = lab.dir().join("dhclient.leases");
    let cpid = lab.dir().join("dhclient.pid");
    let dhclient = netlab::which("dhclient").ok_or("dhclient vanished")?;
    let argv = [
        dhclient.as_os_str(),
        os("-d"),
        os("-4"),
        os("-sf"),
        os("/bin/true"),
        os("-lf"),
        leases.as_os_str(),
        os("-pf"),
        cpid.as_os_str(),
        os("c0"),
    ];
    let client = io(lab.spawn(&seg.cli, &argv, &[]))?;
    check_exchange(&lab, &seg, server, &cap, client_mac, false)?;
    lab.stop(client, libc::SIGTERM, STEP);
    clean_stop(&mut lab, server, libc::SIGTERM, &pid)
}

fn proc_stat_field(pid: u32, index: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after "(comm)": state is field 3, session field 6 (1-based).
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(index - 3)
        .map(str::to_string)
}

fn daemon_pid_file_and_sigterm() -> Outcome {
    let mut lab = io(Lab::new("daemon"))?;
    let seg = segment(&mut lab)?;
    let conf = write(&lab, "dhcpd.conf", SUBNET)?;
    let pid_file = lab.dir().join("dhcpd.pid");
    let pid_s = pid_file.to_string_lossy().into_owned();
    let argv = [
        os(BIN),
        os("--selftest-echo"),
        os("-cf"),
        os(&conf),
        os("-pf"),
        os(&pid_s),
    ];
    let env = [("DHCPD_SELFTEST_OFFER", OFFER)];

    let launcher = io(lab.spawn(&seg.srv, &argv, &env))?;
    let status = lab
        .wait(launcher, STEP)
        .ok_or("the parent did not exit once the daemon was up")?;
    let launcher_pid = lab.proc(launcher).pid;
    ensure(status.code() == Some(0), || format!("parent exited with {status}"))?;
    let pid: u32 = io(std::fs::read_to_string(&pid_file))?
        .trim()
        .parse()
        .map_err(|e| format!("pid file: {e}"))?;
    lab.adopt(pid);
    ensure(pid != launcher_pid && netlab::alive(pid), || {
        format!("pid file names {pid}, parent was {launcher_pid}")
    })?;
    let comm = io(std::fs::read_to_string(format!("/proc/{pid}/comm")))?;
    ensure(comm.trim() == "dhcpd", || format!("process name {comm:?}"))?;
    ensure(proc_stat_field(pid, 6) == Some(pid.to_string()), || {
        "the daemon is not a session leader".into()
    })?;
    let stderr = lab.proc(launcher).stderr.all();
    ensure(stderr.iter().any(|l| l.starts_with("Listening on LPF/s0/")), || {
        format!("start-up lines missing: {stderr:?}")
    })?;
    ensure(!stderr.iter().any(|l| l == STARTED), || {
        "the daemon kept writing to the terminal after detaching".into()
    })?;

    let second = io(lab.spawn(&seg.srv, &argv, &env))?;
    let status = lab.wait(second, STEP).ok_or("second start did not exit")?;
    let err = lab.proc(second).stderr.all();
    ensure(
        status.code() == Some(1) && err.iter().any(|l| l == "There's already a DHCP server running."),
        || format!("second start: {status}, {err:?}"),
    )?;

    ensure(lab.stop_adopted(pid, libc::SIGTERM, STEP), || {
        "the daemon did not stop on SIGTERM".into()
    })?;
    ensure(!pid_file.exists(), || "pid file left behind".into())
}

/// The lab itself: a test that panics mid-way still leaves no namespace and no process.
fn lab_cleans_up_after_a_panic() -> Outcome {
    let left = std::sync::Mutex::new((String::new(), 0u32, std::path::PathBuf::new()));
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {
        eprintln!("io_netns: deliberate panic inside a lab (expected)")
    }));
    let result = std::panic::catch_unwind(|| {
        let mut lab = Lab::new("panic").unwrap();
        let ns = lab.netns("x").unwrap();
        lab.veth((&ns, "a0"), (&ns, "b0")).unwrap();
        let id = lab.spawn(&ns, &[os("sleep"), os("600")], &[]).unwrap();
        *left.lock().unwrap() = (ns, lab.proc(id).pid, lab.dir().to_path_buf());
        panic!("deliberate panic inside a lab (expected by this test)");
    });
    std::panic::set_hook(previous_hook);
    ensure(result.is_err(), || "the closure was meant to panic".into())?;
    let (ns, pid, dir) = left.lock().map_err(|e| e.to_string())?.clone();
    let list = io(netlab::run_bounded(
        std::process::Command::new("ip").args(["netns", "list"]),
        STEP,
    ))?;
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    ensure(!ns.is_empty() && !list.split_whitespace().any(|w| w == ns), || {
        format!("namespace {ns} survived: {list}")
    })?;
    ensure(pid != 0 && !netlab::alive(pid), || format!("process {pid} survived"))?;
    ensure(!dir.exists(), || format!("{} survived", dir.display()))
}

struct Case {
    name: &'static str,
    needs: &'static [&'static str],
    run: fn() -> Outcome,
}

const CASES: &[Case] = &[
    Case {
        name: "lab_cleans_up_after_a_panic",
        needs: &["sleep"],
        run: lab_cleans_up_after_a_panic,
    },
    Case {
        name: "startup_lines_match_isc",
        needs: &["dhcpd"],
        run: startup::startup_lines_match_isc,
    },
    Case {
        name: "echo_with_udhcpc",
        needs: &["busybox"],
        run: echo_with_udhcpc,
    },
    Case {
        name: "echo_with_udhcpc_broadcast",
        needs: &["busybox"],
        run: echo_with_udhcpc_broadcast,
    },
    Case {
        name: "echo_with_dhclient",
        needs: &["dhclient"],
        run: echo_with_dhclient,
    },
    Case {
        name: "daemon_pid_file_and_sigterm",
        needs: &[],
        run: daemon_pid_file_and_sigterm,
    },
    Case {
        name: "syslog_ident_pid_and_facility",
        needs: &["unshare", "mount", "mknod"],
        run: syslog::syslog_ident_pid_and_facility,
    },
];

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == syslog::LISTENER) {
        std::process::exit(syslog::syslog_listener(&args[2..]));
    }
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for case in CASES
        .iter()
        .filter(|c| filter.as_deref().map_or(true, |f| c.name.contains(f)))
    {
        if let Some(why) = netlab::prerequisites(case.needs) {
            println!("test {} ... SKIPPED: {why}", case.name);
            eprintln!("!!!!! io_netns: {} NOT RUN: {why} !!!!!", case.name);
            skipped += 1;
            continue;
        }
        let result = std::panic::catch_unwind(case.run);
        match result {
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
    println!("\nio_netns: {passed} passed, {failed} failed, {skipped} skipped");
    std::process::exit(if failed > 0 { 1 } else { 0 });
}
