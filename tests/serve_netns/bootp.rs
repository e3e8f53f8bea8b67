//! A BOOTP client (a crafted BOOTREQUEST: no DHCP message type) answered
//! from a `dynamic-bootp` range, and refused under `deny dynamic bootp
//! clients` while a host with a fixed address is still answered.

use std::net::Ipv4Addr;
use std::time::Duration;

use dhcpd::wire::dhcp::OpCode;

use super::common::*;

const ALLOWED: &str = "ping-check false;\n\
subnet 10.77.0.0 netmask 255.255.255.0 { range dynamic-bootp 10.77.0.100 10.77.0.110; option routers 10.77.0.1; }\n";

const DENIED: &str = "ping-check false;\n\
host fixed { hardware ethernet 02:bb:00:00:00:02; fixed-address 10.77.0.20; }\n\
subnet 10.77.0.0 netmask 255.255.255.0 {\n\
  pool { deny dynamic bootp clients; range dynamic-bootp 10.77.0.100 10.77.0.110; }\n\
}\n";

const DYNAMIC: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 1];
const FIXED: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 2];

/// Sends a BOOTREQUEST from `mac` and returns the BOOTREPLY's yiaddr, if
/// one came back within a few seconds.
fn ask(net: &Net, mac: [u8; 6], xid: u32) -> Result<Option<Ipv4Addr>, String> {
    let cap = io(net.lab.capture(&net.cli, "c0"))?;
    let frame = broadcast_frame(mac, &request(mac, xid, None, 0, vec![]));
    send_frames(&net.cli, "c0", vec![frame], Duration::ZERO)?;
    let reply = cap.wait_frame(Duration::from_secs(4), |f| {
        dhcp_of(f).is_some_and(|(r, m)| m.op == OpCode::Reply && m.xid == xid && r.dst_port == 68)
    });
    Ok(reply.and_then(|f| dhcp_of(&f)).map(|(r, m)| {
        // No broadcast bit: to yiaddr, Ethernet to chaddr, without ARP.
        assert_eq!(r.dst_mac, mac, "BOOTREPLY not sent to the client's MAC");
        m.yiaddr
    }))
}

pub fn bootp_allowed_and_denied() -> Outcome {
    let mut net = Net::new("bootp")?;
    let leases = net.write("dhcpd.leases", "")?;
    let conf = net.write("allowed.conf", ALLOWED)?;
    let server = start_ours(&mut net, &conf, &leases)?;
    let got = ask(&net, DYNAMIC, 0xb001)?.ok_or("no BOOTREPLY from a dynamic-bootp range")?;
    ensure(got.octets()[..3] == [10, 77, 0] && (100..=110).contains(&got.octets()[3]), || format!("got {got}"))?;
    let m = hw(&DYNAMIC);
    // A dynamic BOOTP lease goes through ISC's DHCP reply path, hence its words.
    wait_log(&net, server, "the BOOTREPLY line", |l| l == format!("BOOTREPLY on {got} to {m} via s0"))?;
    std::thread::sleep(Duration::from_millis(200));
    let disk = leases_on_disk(&leases)?;
    let l = disk.get(&got).ok_or("the BOOTP lease is not on disk")?;
    ensure(l.bootp || l.ends == dhcpd::lease::NEVER, || format!("BOOTP lease written as {l:?}"))?;
    stop_clean(&mut net, server)?;

    let leases = net.write("denied.leases", "")?;
    let conf = net.write("denied.conf", DENIED)?;
    let server = start_ours(&mut net, &conf, &leases)?;
    let refused = ask(&net, DYNAMIC, 0xb002)?;
    ensure(refused.is_none(), || format!("deny dynamic bootp clients, yet {refused:?} was given"))?;
    wait_log(&net, server, "the refused BOOTREQUEST", |l| l.starts_with(&format!("BOOTREQUEST from {m} via s0")))?;
    let fixed = ask(&net, FIXED, 0xb003)?;
    ensure(fixed == Some(Ipv4Addr::new(10, 77, 0, 20)), || format!("the host's fixed address was not given: {fixed:?}"))?;
    let f = hw(&FIXED);
    wait_log(&net, server, "the fixed BOOTREPLY line", |l| l == format!("BOOTREPLY for 10.77.0.20 to fixed ({f}) via s0"))?;
    stop_clean(&mut net, server)
}
