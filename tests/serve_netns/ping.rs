//! `ping-check` over the real ICMP socket: an address that answers an echo
//! is abandoned (`pinged before offer`) and the client is offered the next
//! one, a second after its DISCOVER as in ISC.

use super::common::*;
use super::netlab;

const CONF: &str = "default-lease-time 600; max-lease-time 600;\n\
subnet 10.77.0.0 netmask 255.255.255.0 { range 10.77.0.100 10.77.0.101; }\n";

pub fn ping_check_skips_an_address_in_use() -> Outcome {
    let mut net = Net::new("ping")?;
    // Someone already uses the first address of the range.
    net.client_port("c1")?;
    let cli = net.cli.clone();
    io(net.lab.addr(&cli, "c1", "10.77.0.100/24"))?;
    let conf = net.write("dhcpd.conf", CONF)?;
    let leases = net.write("dhcpd.leases", "")?;
    let server = start_ours(&mut net, &conf, &leases)?;
    let bb = netlab::which("busybox").ok_or("busybox vanished")?;
    let client = io(net.lab.spawn(&cli, &[bb.as_os_str(), os("udhcpc"), os("-q"), os("-f"), os("-i"), os("c0"), os("-s"), os("/bin/true"), os("-t"), os("10"), os("-T"), os("3")], &[]))?;
    wait_log(&net, server, "the abandoned address", |l| l == "Abandoning IP address 10.77.0.100: pinged before offer")?;
    let mac = hw(&io(net.lab.mac(&cli, "c0"))?);
    wait_log(&net, server, "the ACK of the free address", |l| l == format!("DHCPACK on 10.77.0.101 to {mac} via s0"))?;
    let status = net.lab.wait(client, STEP).ok_or("udhcpc did not finish")?;
    ensure(status.success(), || format!("udhcpc: {status}"))?;
    stop_clean(&mut net, server)?;
    let disk = leases_on_disk(&leases)?;
    ensure(disk.get(&"10.77.0.100".parse().unwrap()).is_some_and(|l| l.binding_state == dhcpd::lease::BindingState::Abandoned), || {
        format!("10.77.0.100 not abandoned on disk: {:?}", disk.get(&"10.77.0.100".parse().unwrap()))
    })
}
