//! A pool with a failover peer that cannot be reached (no link manager
//! yet): as ISC, no service during the 15 s of startup, then the
//! "disconnect" state (normal → communications-interrupted), whose rules
//! serve everyone with lease times capped at the MCLT. Every state change is
//! in the lease file.

use super::common::*;
use super::netlab;

const CONF: &str = "failover peer \"fo\" { primary; address 10.77.0.1; port 647; peer address 10.77.0.9; peer port 647;\n\
  max-response-delay 30; max-unacked-updates 10; mclt 60; split 128; load balance max seconds 3; }\n\
ping-check false; default-lease-time 3600; max-lease-time 3600;\n\
subnet 10.77.0.0 netmask 255.255.255.0 { pool { failover peer \"fo\"; range 10.77.0.100 10.77.0.150; } }\n";

const LEASES: &str = "failover peer \"fo\" state {\n  my state normal at 1 2026/11/23 08:00:00;\n  partner state normal at 1 2026/11/23 08:00:00;\n}\n";

pub fn failover_peer_unreachable() -> Outcome {
    let mut net = Net::new("failover")?;
    let conf = net.write("dhcpd.conf", CONF)?;
    let leases = net.write("dhcpd.leases", LEASES)?;
    let server = start_ours(&mut net, &conf, &leases)?;
    let log = net.lab.proc(server).stderr.all();
    ensure(log.iter().any(|l| l == "failover peer fo: I move from normal to startup"), || format!("no startup move:\n{}", log.join("\n")))?;
    let bb = netlab::which("busybox").ok_or("busybox vanished")?;
    let cli = net.cli.clone();
    let evlog = net.path("events.log");
    let script = net.write("u.sh", &format!("#!/bin/sh\necho \"$1 ip=$ip lease=$lease\" >> {evlog}\n"))?;
    io(std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)))?;
    let client = io(net.lab.spawn(&cli, &[bb.as_os_str(), os("udhcpc"), os("-q"), os("-f"), os("-i"), os("c0"), os("-s"), os(&script), os("-t"), os("20"), os("-T"), os("2")], &[]))?;
    let mac = hw(&io(net.lab.mac(&cli, "c0"))?);
    wait_log(&net, server, "a DISCOVER refused in startup", |l| l == format!("DHCPDISCOVER from {mac} via s0: not responding (startup)"))?;
    wait_log(&net, server, "the end of startup", |l| l == "failover peer fo: I move from startup to communications-interrupted")?;
    wait_log(&net, server, "an ACK in communications-interrupted", |l| l.starts_with("DHCPACK on ") && l.contains(&mac))?;
    let bound = netlab::wait_for(STEP, || std::fs::read_to_string(&evlog).ok()?.lines().find(|l| l.starts_with("bound ")).map(str::to_string))
        .ok_or("the client was never bound")?;
    ensure(bound.ends_with("lease=60"), || format!("not capped at the MCLT: {bound}"))?;
    net.lab.wait(client, STEP);
    stop_clean(&mut net, server)?;
    let text = io(std::fs::read_to_string(&leases))?;
    ensure(text.contains("my state communications-interrupted at "), || format!("the state change is not in the lease file:\n{text}"))
}
