//! Real clients through a whole lease life against our server: acquire
//! (with the options they were given), renew (unicast, at T1), rebind (the
//! server made unreachable by unicast, a broadcast REQUEST at T2) and
//! release. ISC dhclient, busybox udhcpc and dhcpcd.

use std::net::Ipv4Addr;
use std::time::Duration;

use dhcpd::wire::dhcp::MessageType;

use super::common::*;
use super::netlab::{self, Capture};

/// Short times so a whole life fits in seconds: renew at 4 s, rebind at 8 s.
pub const CONF: &str = "default-lease-time 20; max-lease-time 20; min-lease-time 10;\n\
authoritative; ping-check false;\n\
subnet 10.77.0.0 netmask 255.255.255.0 {\n\
  range 10.77.0.100 10.77.0.150;\n\
  option routers 10.77.0.1;\n\
  option domain-name-servers 10.77.0.53;\n\
  option dhcp-renewal-time 4; option dhcp-rebinding-time 8;\n\
}\n";

/// Where the client's unicast to the server is sent while it must rebind.
const SINK_MAC: &str = "02:00:00:00:00:99";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Udhcpc,
    Dhclient,
    Dhcpcd,
}

/// The script each client runs: configures the address where the client
/// leaves that to it, and logs each event with what it was given.
fn script(kind: Kind, log: &str) -> String {
    match kind {
        Kind::Udhcpc => format!(
            "#!/bin/sh\ncase \"$1\" in bound|renew) ip addr replace \"$ip/$subnet\" dev \"$interface\";; deconfig) ip addr flush dev \"$interface\";; esac\n\
             echo \"$1 ip=$ip lease=$lease router=$router dns=$dns\" >> {log}\n"
        ),
        Kind::Dhclient => format!(
            "#!/bin/sh\ncase \"$reason\" in PREINIT) ip link set \"$interface\" up;;\n\
             BOUND|RENEW|REBIND|REBOOT) ip addr replace \"$new_ip_address/$new_subnet_mask\" dev \"$interface\";;\n\
             RELEASE|EXPIRE|STOP) ip addr flush dev \"$interface\";; esac\n\
             echo \"$reason ip=$new_ip_address lease=$new_dhcp_lease_time router=$new_routers dns=$new_domain_name_servers\" >> {log}\n"
        ),
        Kind::Dhcpcd => format!(
            "#!/bin/sh\necho \"$reason ip=$new_ip_address lease=$new_dhcp_lease_time router=$new_routers dns=$new_domain_name_servers\" >> {log}\n"
        ),
    }
}

/// The script's log lines so far.
fn events(path: &str) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(str::to_string).collect()
}

fn wait_event(path: &str, what: &str, pred: impl Fn(&str) -> bool) -> Result<String, String> {
    netlab::wait_for(STEP, || events(path).into_iter().find(|l| pred(l)))
        .ok_or_else(|| format!("the client never reported {what}; its events: {:?}", events(path)))
}

/// A REQUEST from the client for `ip` with ciaddr set, seen leaving its
/// namespace after `skip` frames: (broadcast?, carries a server identifier?).
fn wait_request(cap: &Capture, skip: usize, ip: Ipv4Addr, broadcast: bool) -> Result<usize, String> {
    netlab::wait_for(STEP, || {
        let frames = cap.frames();
        frames.iter().enumerate().skip(skip).find_map(|(i, f)| {
            let (r, m) = dhcp_of(f)?;
            let is = f.pkttype == libc::PACKET_OUTGOING
                && m.message_type() == Some(MessageType::Request)
                && m.ciaddr == ip
                && (r.dst_addr == Ipv4Addr::BROADCAST) == broadcast
                && m.option(54).is_none();
            is.then_some(i)
        })
    })
    .ok_or_else(|| {
        let seen: Vec<String> = cap
            .frames()
            .iter()
            .filter(|f| f.pkttype == libc::PACKET_OUTGOING)
            .filter_map(dhcp_of)
            .map(|(r, m)| format!("{:?} to {} ciaddr {} sid {}", m.message_type(), r.dst_addr, m.ciaddr, m.option(54).is_some()))
            .collect();
        format!("no {} REQUEST for {ip} with ciaddr seen after frame {skip}; the client sent: {seen:#?}", if broadcast { "broadcast" } else { "unicast" })
    })
}

fn lease_cycle(kind: Kind) -> Outcome {
    let mut net = Net::new(&format!("{kind:?}").to_lowercase())?;
    let conf = net.write("dhcpd.conf", CONF)?;
    let leases = net.write("dhcpd.leases", "")?;
    let server = start_ours(&mut net, &conf, &leases)?;
    let cap = io(net.lab.capture(&net.cli, "c0"))?;
    let mac = hw(&io(net.lab.mac(&net.cli, "c0"))?);
    let evlog = net.path("events.log");
    let script_path = net.write("client.sh", &script(kind, &evlog))?;
    io(std::fs::set_permissions(&script_path, std::os::unix::fs::PermissionsExt::from_mode(0o755)))?;
    let cli = net.cli.clone();
    let client = match kind {
        Kind::Udhcpc => {
            let bb = netlab::which("busybox").ok_or("busybox vanished")?;
            let argv = [bb.as_os_str(), os("udhcpc"), os("-f"), os("-i"), os("c0"), os("-s"), os(&script_path), os("-t"), os("5"), os("-T"), os("2")];
            io(net.lab.spawn(&cli, &argv, &[]))?
        }
        Kind::Dhclient => {
            let (lf, pf) = (net.path("dhclient.leases"), net.path("dhclient.pid"));
            let argv = [os("dhclient"), os("-d"), os("-4"), os("-sf"), os(&script_path), os("-lf"), os(&lf), os("-pf"), os(&pf), os("c0")];
            io(net.lab.spawn(&cli, &argv, &[]))?
        }
        Kind::Dhcpcd => {
            // Its state and control socket in private tmpfs mounts (ip netns exec
            // gives the process its own mount namespace); no hooks but ours.
            let cmd = format!(
                "mount -t tmpfs tmpfs /run && mkdir -p /run/dhcpcd && mount -t tmpfs tmpfs /var/lib/dhcpcd && \
                 exec dhcpcd -4 -B -d -c {script_path} --noarp --noipv4ll -f /dev/null -o domain_name_servers c0"
            );
            io(net.lab.spawn(&cli, &[os("sh"), os("-c"), os(&cmd)], &[]))?
        }
    };

    // Acquire.
    let ack = wait_log(&net, server, "first DHCPACK", |l| l.starts_with("DHCPACK on ") && l.contains(&format!(" to {mac} ")))?;
    let ip: Ipv4Addr = ack.split_whitespace().nth(2).and_then(|a| a.parse().ok()).ok_or("unreadable ACK line")?;
    let bound = wait_event(&evlog, "a bound lease", |l| {
        (l.starts_with("bound ") || l.starts_with("BOUND ")) && l.contains(&format!("ip={ip} "))
    })?;
    for want in ["lease=20", "router=10.77.0.1", "dns=10.77.0.53"] {
        ensure(bound.split_whitespace().any(|w| w == want), || format!("bound with {bound:?}, expected {want}"))?;
    }
    let disk = leases_on_disk(&leases)?;
    ensure(disk.get(&ip).is_some_and(|l| l.binding_state == dhcpd::lease::BindingState::Active), || {
        format!("the ACKed lease {ip} is not active on disk: {:?}", disk.get(&ip))
    })?;

    // Renew: unicast to the server at T1.
    let seen = wait_request(&cap, 0, ip, false)?;
    // The client's host name, if it sent one, sits between MAC and "via".
    let renew_line = format!("DHCPREQUEST for {ip} from {mac} ");
    wait_log(&net, server, "the renewal", |l| l.starts_with(&renew_line) && l.ends_with(" via s0"))?;
    wait_event(&evlog, "a renewal", |l| l.starts_with("renew ") || l.starts_with("RENEW "))?;

    // Rebind: unicast to the server now goes to a MAC the bridge drops
    // (a permanent neighbour entry and a static fdb entry on the client's own
    // port), so at T2 the client broadcasts.
    let sw = net.sw.clone();
    io(net.lab.ip(&cli, &["neigh", "replace", "10.77.0.1", "lladdr", SINK_MAC, "dev", "c0", "nud", "permanent"]))?;
    let fdb = io(net.lab.exec(&sw, &[os("bridge"), os("fdb"), os("add"), os(SINK_MAC), os("dev"), os("pc0"), os("master"), os("static")], STEP))?;
    ensure(fdb.status.success(), || format!("bridge fdb add: {}", String::from_utf8_lossy(&fdb.stderr)))?;
    let rebind = wait_request(&cap, seen + 1, ip, true)?;
    // Answered: a new ACK after the broadcast, and the client keeps the
    // lease (udhcpc reports a rebinding as "renew", dhclient as REBIND or
    // RENEW depending on its state, dhcpcd as REBIND).
    let ack = format!("DHCPACK on {ip} to {mac} ");
    let acks = || net.lab.proc(server).stderr.all().iter().filter(|l| l.starts_with(&ack)).count();
    let (acks_before, events_before) = (acks(), events(&evlog).len());
    netlab::wait_for(STEP, || {
        let rebound = events(&evlog)[events_before..].iter().any(|l| l.starts_with("renew ") || l.starts_with("REBIND ") || l.starts_with("RENEW "));
        (rebound && acks() > acks_before).then_some(())
    })
    .ok_or_else(|| {
        format!(
            "the rebinding REQUEST (frame {rebind}) was not answered; events: {:?}\nserver:\n{}",
            events(&evlog),
            net.lab.proc(server).stderr.all().join("\n")
        )
    })?;
    io(net.lab.ip(&cli, &["neigh", "del", "10.77.0.1", "dev", "c0"]))?;
    let _ = net.lab.exec(&sw, &[os("bridge"), os("fdb"), os("del"), os(SINK_MAC), os("dev"), os("pc0"), os("master")], STEP);

    // Release.
    match kind {
        Kind::Udhcpc => {
            let pid = net.lab.proc(client).pid;
            // SAFETY: signals the client this test started, by pid.
            unsafe { libc::kill(pid as i32, libc::SIGUSR2) };
        }
        Kind::Dhclient => {
            let (lf, pf) = (net.path("dhclient.leases"), net.path("dhclient.pid"));
            let argv = [os("dhclient"), os("-r"), os("-4"), os("-sf"), os(&script_path), os("-lf"), os(&lf), os("-pf"), os(&pf), os("c0")];
            let out = io(net.lab.exec(&cli, &argv, STEP))?;
            ensure(out.status.success(), || format!("dhclient -r: {}", String::from_utf8_lossy(&out.stderr)))?;
        }
        Kind::Dhcpcd => {
            let pid = net.lab.proc(client).pid;
            // SAFETY: as above; SIGALRM is dhcpcd's "release and exit".
            unsafe { libc::kill(pid as i32, libc::SIGALRM) };
        }
    }
    let release_line = format!("DHCPRELEASE of {ip} from {mac} ");
    wait_log(&net, server, "the release", |l| l.starts_with(&release_line) && l.ends_with(" via s0 (found)"))?;
    std::thread::sleep(Duration::from_millis(200));
    let disk = leases_on_disk(&leases)?;
    ensure(disk.get(&ip).is_some_and(|l| l.binding_state != dhcpd::lease::BindingState::Active), || {
        format!("released lease still active on disk: {:?}", disk.get(&ip))
    })?;
    net.lab.stop(client, libc::SIGTERM, STEP);
    stop_clean(&mut net, server)
}

pub fn udhcpc_lease_cycle() -> Outcome {
    lease_cycle(Kind::Udhcpc)
}

pub fn dhclient_lease_cycle() -> Outcome {
    lease_cycle(Kind::Dhclient)
}

pub fn dhcpcd_lease_cycle() -> Outcome {
    lease_cycle(Kind::Dhcpcd)
}
