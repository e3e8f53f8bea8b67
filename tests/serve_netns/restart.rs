//! The lease file across stops and servers: SIGTERM leaves every lease the
//! server ACKed on disk, a restarted server gives every client its address
//! again, and ISC dhcpd started on our lease file does the same.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use dhcpd::lease::BindingState;

use super::common::*;
use super::netlab;

const CONF: &str = "default-lease-time 3600; max-lease-time 3600; authoritative; ping-check false;\n\
subnet 10.77.0.0 netmask 255.255.255.0 { range 10.77.0.100 10.77.0.199; option routers 10.77.0.1; }\n";

/// Client ports c1..=cN in the client namespace.
fn ports(net: &mut Net, n: usize) -> Result<Vec<String>, String> {
    let mut v = Vec::new();
    for i in 1..=n {
        let dev = format!("c{i}");
        net.client_port(&dev)?;
        v.push(dev);
    }
    Ok(v)
}

/// Runs `udhcpc -q` on each port at once (each quits once bound); returns
/// the processes.
fn acquire(net: &mut Net, devs: &[String]) -> Result<Vec<netlab::ProcId>, String> {
    let bb = netlab::which("busybox").ok_or("busybox vanished")?;
    let cli = net.cli.clone();
    let mut ids = Vec::new();
    for d in devs {
        let argv = [bb.as_os_str(), os("udhcpc"), os("-q"), os("-f"), os("-i"), os(d), os("-s"), os("/bin/true"), os("-t"), os("10"), os("-T"), os("2")];
        ids.push(io(net.lab.spawn(&cli, &argv, &[]))?);
    }
    Ok(ids)
}

/// The (address → MAC) pairs a server's log shows ACKed, for these MACs.
fn acked(net: &Net, server: netlab::ProcId, macs: &[String]) -> BTreeMap<String, Ipv4Addr> {
    let mut out = BTreeMap::new();
    for l in net.lab.proc(server).stderr.all() {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() >= 5 && w[0] == "DHCPACK" && w[1] == "on" && macs.iter().any(|m| m == w[4]) {
            if let Ok(ip) = w[2].parse() {
                out.insert(w[4].to_string(), ip);
            }
        }
    }
    out
}

/// Every client gets an ACK from `server`; returns MAC → address.
fn all_acked(net: &mut Net, server: netlab::ProcId, devs: &[String], macs: &[String]) -> Result<BTreeMap<String, Ipv4Addr>, String> {
    let ids = acquire(net, devs)?;
    let got = netlab::wait_for(STEP, || {
        let a = acked(net, server, macs);
        (a.len() == macs.len()).then_some(a)
    });
    for id in ids {
        net.lab.wait(id, STEP);
    }
    got.ok_or_else(|| format!("not every client was ACKed: {:?}\n{}", acked(net, server, macs), net.lab.proc(server).stderr.all().join("\n")))
}

/// Every ACKed lease is active on disk, bound to its client's MAC.
fn on_disk(leases: &str, acks: &BTreeMap<String, Ipv4Addr>) -> Outcome {
    let disk = leases_on_disk(leases)?;
    for (mac, ip) in acks {
        let l = disk.get(ip).ok_or_else(|| format!("{ip} (ACKed to {mac}) is not in the lease file"))?;
        let hw_ok = l.hardware.as_ref().is_some_and(|h| hw(&h.addr) == *mac);
        ensure(l.binding_state == BindingState::Active && hw_ok, || format!("{ip} on disk as {l:?}, ACKed to {mac}"))?;
    }
    Ok(())
}

pub fn restart_and_isc_keep_every_lease() -> Outcome {
    let mut net = Net::new("restart")?;
    let devs = ports(&mut net, 4)?;
    let cli = net.cli.clone();
    let macs: Vec<String> = devs.iter().map(|d| net.lab.mac(&cli, d).map(|m| hw(&m))).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    let conf = net.write("dhcpd.conf", CONF)?;
    let leases = net.write("dhcpd.leases", "")?;

    let server = start_ours(&mut net, &conf, &leases)?;
    let first = all_acked(&mut net, server, &devs, &macs)?;
    stop_clean(&mut net, server)?;
    on_disk(&leases, &first)?;

    // Restart: the same addresses again.
    let server = start_ours(&mut net, &conf, &leases)?;
    let wrote = wait_log(&net, server, "the startup rewrite", |l| l.starts_with("Wrote ") && l.ends_with(" leases to leases file."))?;
    ensure(wrote == format!("Wrote {} leases to leases file.", first.len()), || format!("restart wrote: {wrote}"))?;
    let second = all_acked(&mut net, server, &devs, &macs)?;
    ensure(second == first, || format!("after a restart {second:?}, before {first:?}"))?;
    stop_clean(&mut net, server)?;

    // ISC dhcpd on our file.
    let srv = net.srv.clone();
    let isc = start_server(&mut net, ISC, &srv, &conf, &leases, &["s0"])?;
    let err = net.lab.proc(isc).stderr.all();
    ensure(!err.iter().any(|l| l.contains("orrupt") || l.contains("no subnet") || l.contains(" line ")), || {
        format!("ISC complained about our lease file:\n{}", err.join("\n"))
    })?;
    let third = all_acked(&mut net, isc, &devs, &macs)?;
    ensure(third == first, || format!("ISC on our file gave {third:?}, we gave {first:?}"))?;
    net.lab.stop(isc, libc::SIGTERM, STEP);
    Ok(())
}

/// SIGTERM while clients are being served: every lease the server logged an
/// ACK for is on disk afterwards.
pub fn sigterm_keeps_every_acked_lease() -> Outcome {
    let mut net = Net::new("sigterm")?;
    let devs = ports(&mut net, 12)?;
    let cli = net.cli.clone();
    let macs: Vec<String> = devs.iter().map(|d| net.lab.mac(&cli, d).map(|m| hw(&m))).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    let conf = net.write("dhcpd.conf", CONF)?;
    let leases = net.write("dhcpd.leases", "")?;
    let server = start_ours(&mut net, &conf, &leases)?;
    let clients = acquire(&mut net, &devs)?;
    netlab::wait_for(STEP, || (acked(&net, server, &macs).len() >= 4).then_some(()))
        .ok_or("fewer than four clients were ACKed")?;
    stop_clean(&mut net, server)?;
    let acks = acked(&net, server, &macs);
    for id in clients {
        net.lab.stop(id, libc::SIGTERM, STEP);
    }
    on_disk(&leases, &acks)
}
