//! A client on a second segment, through the real ISC `dhcrelay`:
//!
//! ```text
//! srv [s0 10.77.0.1] -- br0 -- [r0 10.77.0.2] rel [r1 10.88.0.1] -- br1 -- [c0] cli
//! ```
//!
//! The relay forwards to 10.77.0.1 with giaddr 10.88.0.1; we answer the
//! relay on port 67 through the fallback socket (the kernel routes it via
//! 10.77.0.2), and the client ends up with an address of 10.88.0.0/24.
//! Renewals then come straight to us by unicast (the client has a route).

use std::net::Ipv4Addr;

use super::common::*;
use super::netlab;

const CONF: &str = "default-lease-time 600; max-lease-time 600; authoritative; ping-check false;\n\
subnet 10.77.0.0 netmask 255.255.255.0 { }\n\
subnet 10.88.0.0 netmask 255.255.255.0 {\n\
  range 10.88.0.100 10.88.0.150;\n\
  option routers 10.88.0.1;\n\
}\n";

pub fn through_dhcrelay() -> Outcome {
    let mut net = Net::new("relay")?;
    let rel = io(net.lab.netns("rel"))?;
    let sw2 = io(net.lab.netns("sw2"))?;
    io(net.lab.bridge(&sw2, "br1"))?;
    let sw = net.sw.clone();
    io(net.lab.plug((&rel, "r0"), (&sw, "br0", "pr0")))?;
    io(net.lab.plug((&rel, "r1"), (&sw2, "br1", "pr1")))?;
    io(net.lab.addr(&rel, "r0", "10.77.0.2/24"))?;
    io(net.lab.addr(&rel, "r1", "10.88.0.1/24"))?;
    // Renewals are routed through the relay's namespace.
    let fwd = io(net.lab.exec(&rel, &[os("sysctl"), os("-qw"), os("net.ipv4.ip_forward=1")], STEP))?;
    ensure(fwd.status.success(), || format!("sysctl: {}", String::from_utf8_lossy(&fwd.stderr)))?;
    // The client's link moves to the second segment.
    let cli = io(net.lab.netns("cli2"))?;
    io(net.lab.plug((&cli, "c0"), (&sw2, "br1", "pc2")))?;
    let srv = net.srv.clone();
    io(net.lab.ip(&srv, &["route", "add", "10.88.0.0/24", "via", "10.77.0.2"]))?;

    let conf = net.write("dhcpd.conf", CONF)?;
    let leases = net.write("dhcpd.leases", "")?;
    let server = start_ours(&mut net, &conf, &leases)?;
    let rpid = net.path("dhcrelay.pid");
    let relay = io(net.lab.spawn(
        &rel,
        &[os("dhcrelay"), os("-4"), os("-d"), os("-pf"), os(&rpid), os("-iu"), os("r0"), os("-id"), os("r1"), os("10.77.0.1")],
        &[],
    ))?;
    let mac = hw(&io(net.lab.mac(&cli, "c0"))?);
    let bb = netlab::which("busybox").ok_or("busybox vanished")?;
    let evlog = net.path("events.log");
    let script = net.write(
        "udhcpc.sh",
        &format!(
            "#!/bin/sh\ncase \"$1\" in bound|renew) ip addr replace \"$ip/$subnet\" dev \"$interface\"; \
             ip route replace default via \"$router\";; esac\necho \"$1 ip=$ip router=$router serverid=$serverid\" >> {evlog}\n"
        ),
    )?;
    io(std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)))?;
    let client = io(net.lab.spawn(&cli, &[bb.as_os_str(), os("udhcpc"), os("-f"), os("-i"), os("c0"), os("-s"), os(&script), os("-t"), os("10"), os("-T"), os("2")], &[]))?;

    let line = wait_log(&net, server, "a relayed DHCPACK", |l| l.starts_with("DHCPACK on ") && l.contains(&format!(" to {mac} ")))?;
    ensure(line.ends_with("via 10.88.0.1"), || format!("not through the relay: {line}"))?;
    let ip: Ipv4Addr = line.split_whitespace().nth(2).and_then(|a| a.parse().ok()).ok_or("unreadable ACK")?;
    ensure((100..=150).contains(&ip.octets()[3]) && ip.octets()[..3] == [10, 88, 0], || format!("got {ip} from the wrong subnet"))?;
    let bound = netlab::wait_for(STEP, || std::fs::read_to_string(&evlog).ok()?.lines().find(|l| l.starts_with("bound ")).map(str::to_string))
        .ok_or("udhcpc never bound through the relay")?;
    ensure(bound.contains(&format!("ip={ip} ")) && bound.contains("router=10.88.0.1") && bound.contains("serverid=10.77.0.1"), || {
        format!("bound with {bound}")
    })?;
    // A unicast renewal (SIGUSR1) reaches us directly and is answered.
    // SAFETY: signals the client this test started, by pid.
    unsafe { libc::kill(net.lab.proc(client).pid as i32, libc::SIGUSR1) };
    let renew = format!("DHCPREQUEST for {ip} from {mac} via s0");
    wait_log(&net, server, "a direct renewal", |l| l == renew)?;
    netlab::wait_for(STEP, || std::fs::read_to_string(&evlog).ok()?.lines().find(|l| l.starts_with("renew ")).map(str::to_string))
        .ok_or("the renewal was not answered")?;
    net.lab.stop(client, libc::SIGTERM, STEP);
    net.lab.stop(relay, libc::SIGTERM, STEP);
    stop_clean(&mut net, server)
}
