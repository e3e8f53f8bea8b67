//! Real DHCP clients against a mixed pair: ISC's dhcpd and ours, both serving (the real command
//! line, `dhcpd -f -d`), on one segment with the Spanish seed's addresses and pool, linked by
//! failover. Six busybox udhcpc clients, each in its own namespace, with hardware addresses
//! chosen so that three hash (RFC 3074, over the client identifier udhcpc sends) to the
//! primary's half and three to the secondary's. Proven: every client is bound, to a distinct
//! address, by exactly the server whose half its hash is in (its `serverid`); both lease files
//! end with every one of those bindings active for the right hardware address (the BNDUPDs
//! crossed both ways and were stored); ISC and ours both stay normal.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use dhcpd::failover::hash::{bucket_is_primary, Hba};
use dhcpd::lease::BindingState;

use super::netlab::{self, Lab};
use super::{dump, ensure, io, ip_of, os, seeds, wait_line, Outcome, Side};

const CLIENTS: usize = 6;

/// Hardware addresses for the clients: half hash to the primary (split 128).
fn macs() -> Vec<([u8; 6], bool)> {
    let hba = Hba::from_split(128).expect("split 128");
    let (mut p, mut s) = (Vec::new(), Vec::new());
    for n in 1..=255u8 {
        let mac = [0x02, 0x5e, 0x10, 0x00, 0x00, n];
        // udhcpc's client identifier: type 1, then the hardware address.
        let key = [&[1u8][..], &mac[..]].concat();
        if bucket_is_primary(&hba, &key) {
            p.push((mac, true));
        } else {
            s.push((mac, false));
        }
    }
    p.into_iter().take(CLIENTS / 2).chain(s.into_iter().take(CLIENTS / 2)).collect()
}

fn mac_text(m: &[u8]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// The mixed pair with ours primary (`ours_primary`) or secondary, and six clients.
pub fn clients_on_a_mixed_pair(ours_primary: bool) -> Outcome {
    let es = seeds::all().into_iter().find(|s| s.name == "es").ok_or("no es seed")?;
    let tag = if ours_primary { "ours-primary" } else { "isc-primary" };
    let mut lab = io(Lab::new(&format!("fo-clients-{tag}")))?;
    let sw = io(lab.netns("sw"))?;
    io(lab.bridge(&sw, "br0"))?;
    let pns = io(lab.netns("p"))?;
    let sns = io(lab.netns("s"))?;
    io(lab.plug((&pns, "p0"), (&sw, "br0", "pp")))?;
    io(lab.plug((&sns, "s0"), (&sw, "br0", "ps")))?;
    io(lab.addr(&pns, "p0", es.primary_cidr))?;
    io(lab.addr(&sns, "s0", es.secondary_cidr))?;
    let write = |lab: &Lab, name: &str, text: &str| -> Result<String, String> {
        let p = lab.dir().join(name);
        io(std::fs::write(&p, text))?;
        Ok(p.to_string_lossy().into_owned())
    };
    let primary = Side {
        ns: pns,
        dev: "p0",
        conf: write(&lab, "primary.conf", &es.primary)?,
        leases: write(&lab, "primary.leases", "")?,
        pid: lab.dir().join("primary.pid").to_string_lossy().into_owned(),
        isc: !ours_primary,
    };
    let secondary = Side {
        ns: sns,
        dev: "s0",
        conf: write(&lab, "secondary.conf", &es.secondary)?,
        leases: write(&lab, "secondary.leases", "")?,
        pid: lab.dir().join("secondary.pid").to_string_lossy().into_owned(),
        isc: ours_primary,
    };
    let p = primary.serve(&mut lab)?;
    let s = secondary.serve(&mut lab)?;
    let (pw, sw_) = (primary.who(), secondary.who());
    let all = [(pw, p), (sw_, s)];
    let name = es.relationship;
    for id in [p, s] {
        wait_line(&lab, id, 60, &format!("failover peer {name}: I move from recover-done to normal"), &all)?;
    }
    // The balancing gifts are stored on the secondary before clients come.
    let half = es.pool_size / 2;
    netlab::wait_for(Duration::from_secs(30), || {
        let st = secondary.lease_state().ok()?;
        (st.leases.values().filter(|l| l.binding_state == BindingState::Backup).count() == half).then_some(())
    })
    .ok_or_else(|| format!("the pool was not balanced\n{}", dump(&lab, &all)))?;

    let bb = netlab::which("busybox").ok_or("busybox is not installed")?;
    let mut clients = Vec::new();
    for (i, (mac, to_primary)) in macs().into_iter().enumerate() {
        let ns = io(lab.netns(&format!("c{i}")))?;
        io(lab.plug((&ns, "c0"), (&sw, "br0", &format!("pc{i}"))))?;
        io(lab.ip(&ns, &["link", "set", "c0", "address", &mac_text(&mac)]))?;
        let events = lab.dir().join(format!("c{i}.events")).to_string_lossy().into_owned();
        let script = write(&lab, &format!("c{i}.sh"), &format!("#!/bin/sh\necho \"$1 ip=$ip serverid=$serverid\" >> {events}\n"))?;
        io(std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)))?;
        let argv = [bb.as_os_str(), os("udhcpc"), os("-q"), os("-f"), os("-i"), os("c0"), os("-s"), os(&script), os("-t"), os("10"), os("-T"), os("2")];
        let id = io(lab.spawn(&ns, &argv, &[]))?;
        clients.push((id, mac, to_primary, events));
    }
    let p_ip = ip_of(es.primary_cidr);
    let s_ip = ip_of(es.secondary_cidr);
    let mut bound: BTreeMap<Ipv4Addr, [u8; 6]> = BTreeMap::new();
    for (id, mac, to_primary, events) in &clients {
        let line = netlab::wait_for(Duration::from_secs(40), || {
            std::fs::read_to_string(events).ok()?.lines().find(|l| l.starts_with("bound ")).map(str::to_string)
        })
        .ok_or_else(|| format!("client {} was never bound\n{}", mac_text(mac), dump(&lab, &all)))?;
        lab.wait(*id, Duration::from_secs(10));
        let field = |k: &str| line.split_whitespace().find_map(|w| w.strip_prefix(k)).and_then(|v| v.parse::<Ipv4Addr>().ok());
        let (ip, server) = (field("ip=").ok_or("no ip")?, field("serverid=").ok_or("no serverid")?);
        let want = if *to_primary { p_ip } else { s_ip };
        ensure(server == want, || {
            format!("client {} (hash: {}) was bound by {server}, want {want}\n{}", mac_text(mac), if *to_primary { "primary" } else { "secondary" }, dump(&lab, &all))
        })?;
        ensure(bound.insert(ip, *mac).is_none(), || format!("{ip} was given to two clients"))?;
    }
    // Each binding reaches the other server (BNDUPD, BNDACK after up to 2 s).
    for side in [&primary, &secondary] {
        let ok = netlab::wait_for(Duration::from_secs(15), || {
            let st = side.lease_state().ok()?;
            bound
                .iter()
                .all(|(ip, mac)| {
                    st.leases.get(ip).is_some_and(|l| {
                        l.binding_state == BindingState::Active && l.hardware.as_ref().is_some_and(|h| h.addr == mac[..])
                    })
                })
                .then_some(())
        });
        ensure(ok.is_some(), || format!("{}'s lease file lacks some of the bindings {bound:?}\n{}", side.who(), dump(&lab, &all)))?;
    }
    for id in [p, s] {
        let log = lab.proc(id).stderr.all();
        let left_normal = log.iter().any(|l| l.starts_with(&format!("failover peer {name}: I move from normal")));
        ensure(!left_normal, || format!("a server left normal\n{}", dump(&lab, &all)))?;
    }
    if std::env::var_os("FAILOVER_ISC_VERBOSE").is_some() {
        println!("{}", dump(&lab, &all));
    }
    let ours = if ours_primary { p } else { s };
    let status = lab.stop(ours, libc::SIGTERM, Duration::from_secs(5));
    ensure(status.is_some_and(|s| s.success()), || format!("ours did not stop cleanly: {status:?}"))?;
    println!(
        "  clients {tag}: {} clients bound to distinct addresses, each by the server its hash names; every binding in both lease files",
        bound.len()
    );
    Ok(())
}
