//! Malformed, truncated and hostile frames, then a DISCOVER flood from
//! random MACs: the server neither panics nor grows without bound, and a
//! real client is still served afterwards.

use std::time::Duration;

use dhcpd::wire::dhcp::MessageType;

use super::common::*;
use super::netlab;

/// A big pool, so the flood's offers (each held for two minutes) cannot
/// exhaust it, and no ping per offer.
const CONF: &str = "ping-check false; default-lease-time 600; max-lease-time 600;\n\
subnet 10.77.0.0 netmask 255.255.0.0 { range 10.77.1.0 10.77.40.255; }\n";

/// Frames that are wrong in every layer.
fn malformed(mac: [u8; 6]) -> Vec<Vec<u8>> {
    let mut seed = 0x9e37_79b9_u32;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let good = request(mac, 1, Some(MessageType::Discover), 0, vec![(55, vec![1, 3, 6, 15, 51])]);
    let mut out = Vec::new();
    // Truncated DHCP messages and random payloads of many sizes.
    for len in [0usize, 1, 10, 100, 235, 236, 237, 239, 240, 241, 250, 299] {
        out.push(broadcast_frame(mac, &good[..len.min(good.len())]));
        let junk: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
        out.push(broadcast_frame(mac, &junk));
    }
    for _ in 0..200 {
        let len = 236 + (rnd() as usize % 1200);
        let mut p: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
        p[0] = 1;
        if len > 240 {
            p[236..240].copy_from_slice(&[99, 130, 83, 99]);
        }
        out.push(broadcast_frame(mac, &p));
    }
    // Header fields out of range.
    let mut bad_hlen = good.clone();
    bad_hlen[2] = 255;
    out.push(broadcast_frame(mac, &bad_hlen));
    let mut zero_htype = good.clone();
    zero_htype[1] = 0;
    zero_htype[2] = 0;
    out.push(broadcast_frame(mac, &zero_htype));
    // Options: a length running past the end, overload into garbage, an
    // empty message type, a relay agent option with broken sub-options.
    let mut opts = good[..240].to_vec();
    opts.extend_from_slice(&[53, 1, 1, 55, 200, 1, 2]);
    out.push(broadcast_frame(mac, &opts));
    let mut over = good[..240].to_vec();
    over.extend_from_slice(&[53, 1, 1, 52, 1, 3, 255]);
    for b in over[44..236].iter_mut() {
        *b = 0xfe;
    }
    out.push(broadcast_frame(mac, &over));
    let mut empty = good[..240].to_vec();
    empty.extend_from_slice(&[53, 0, 82, 6, 1, 9, 0, 2, 200, 7, 255]);
    out.push(broadcast_frame(mac, &empty));
    // Broken lower layers: bad IP checksum, a fragment, not UDP, short frames.
    let mut f = broadcast_frame(mac, &good);
    f[24] ^= 0xff;
    out.push(f);
    let mut f = broadcast_frame(mac, &good);
    f[20] = 0x20;
    out.push(f);
    let mut f = broadcast_frame(mac, &good);
    f[23] = 6;
    out.push(f);
    for n in [14usize, 20, 34, 41] {
        out.push(broadcast_frame(mac, &good)[..n].to_vec());
    }
    out
}

pub fn hostile_frames_and_a_flood() -> Outcome {
    let mut net = Net::new("hostile")?;
    let conf = net.write("dhcpd.conf", CONF)?;
    let leases = net.write("dhcpd.leases", "")?;
    let server = start_ours(&mut net, &conf, &leases)?;
    let pid = net.lab.proc(server).pid;
    let before = rss_kib(pid).ok_or("no RSS for the server")?;

    let sent = send_frames(&net.cli, "c0", malformed([0x02, 0xee, 0, 0, 0, 1]), Duration::from_micros(200))?;
    ensure(sent > 200, || format!("only {sent} malformed frames sent"))?;

    const FLOOD: usize = 3000;
    let mut seed = 0x2545_f491_u64;
    let frames: Vec<Vec<u8>> = (0..FLOOD)
        .map(|i| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let b = seed.to_be_bytes();
            let mac = [0x02, b[0], b[1], b[2], b[3], b[4]];
            broadcast_frame(mac, &request(mac, i as u32, Some(MessageType::Discover), 0, vec![]))
        })
        .collect();
    let sent = send_frames(&net.cli, "c0", frames, Duration::from_micros(300))?;
    ensure(sent == FLOOD, || format!("{sent} of {FLOOD} flood frames sent"))?;

    ensure(netlab::alive(pid), || format!("the server died:\n{}", net.lab.proc(server).stderr.all().join("\n")))?;
    let offers = netlab::wait_for(STEP, || {
        let n = net.lab.proc(server).stderr.all().iter().filter(|l| l.starts_with("DHCPOFFER on ")).count();
        (n >= FLOOD * 9 / 10).then_some(n)
    })
    .ok_or_else(|| {
        let n = net.lab.proc(server).stderr.all().iter().filter(|l| l.starts_with("DHCPOFFER on ")).count();
        format!("only {n} of {FLOOD} flood DISCOVERs were answered")
    })?;
    let after = rss_kib(pid).ok_or("no RSS for the server")?;
    ensure(after < before + 64 * 1024, || format!("RSS grew from {before} KiB to {after} KiB over the flood"))?;
    let log = net.lab.proc(server).stderr.all();
    ensure(!log.iter().any(|l| l.contains("panicked")), || "the server panicked".into())?;

    // Still serving a real client.
    let bb = netlab::which("busybox").ok_or("busybox vanished")?;
    let cli = net.cli.clone();
    let client = io(net.lab.spawn(&cli, &[bb.as_os_str(), os("udhcpc"), os("-q"), os("-f"), os("-i"), os("c0"), os("-s"), os("/bin/true"), os("-t"), os("10"), os("-T"), os("2")], &[]))?;
    let status = net.lab.wait(client, STEP).ok_or("the client got no lease after the flood")?;
    ensure(status.success(), || format!("udhcpc after the flood: {status}"))?;
    let mac = hw(&io(net.lab.mac(&cli, "c0"))?);
    wait_log(&net, server, "the real client's ACK", |l| l.starts_with("DHCPACK on ") && l.contains(&mac))?;
    eprintln!("serve_netns: flood: {offers} offers, RSS {before} -> {after} KiB");
    stop_clean(&mut net, server)
}
