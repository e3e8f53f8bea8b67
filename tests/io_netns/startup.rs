//! Interface selection and its log lines, ours against the real ISC dhcpd on the same links.

use super::*;

/// The lines between the lease-file line (ISC) or the start (ours) and the fallback line
/// (or the end, when the start failed).
fn interface_lines(all: &[String], after_wrote: bool) -> Vec<String> {
    let start = if after_wrote {
        all.iter()
            .position(|l| l.starts_with("Wrote "))
            .map_or(all.len(), |i| i + 1)
    } else {
        0
    };
    let end = all.iter().position(|l| l == FALLBACK_LINE).map_or(all.len(), |i| i + 1);
    all.get(start..end.max(start)).unwrap_or_default().to_vec()
}

/// A server's interface lines and its exit status (`None`: it served and was stopped).
type Startup = (Vec<String>, Option<i32>);

/// Runs ISC and ours in `ns` with the same configuration and arguments; returns both
/// interface-line slices and both exit statuses.
fn startup_pair(lab: &mut Lab, ns: &str, conf: &str, ifaces: &[&str]) -> Result<[Startup; 2], String> {
    let mut out = Vec::new();
    for (which, bin) in [("isc", ISC), ("ours", BIN)] {
        let leases = write(lab, &format!("{which}.leases"), "")?;
        let pid = lab.dir().join(format!("{which}.pid")).to_string_lossy().into_owned();
        let mut argv = vec![os(bin)];
        if which == "ours" {
            argv.push(os("--selftest-echo"));
        }
        argv.extend([
            os("-f"),
            os("-d"),
            os("-cf"),
            os(conf),
            os("-lf"),
            os(&leases),
            os("-pf"),
            os(&pid),
        ]);
        argv.extend(ifaces.iter().map(|s| os(s)));
        let id = io(lab.spawn(ns, &argv, &[("DHCPD_SELFTEST_OFFER", OFFER)]))?;
        let started = lab.proc(id).stderr.wait_line(STEP, |l| l == STARTED || l == "exiting.");
        let status = match started.as_deref() {
            Some("exiting.") => lab.wait(id, STEP).and_then(|s| s.code()),
            Some(_) => {
                lab.stop(id, libc::SIGTERM, STEP);
                None
            }
            None => {
                return Err(format!(
                    "{which}: neither served nor failed:\n{}",
                    lab.proc(id).stderr.all().join("\n")
                ))
            }
        };
        let lines = interface_lines(&lab.proc(id).stderr.all(), which == "isc");
        out.push((lines, status));
    }
    let ours = out.pop().unwrap_or_default();
    let isc = out.pop().unwrap_or_default();
    Ok([isc, ours])
}

pub fn startup_lines_match_isc() -> Outcome {
    let mut lab = io(Lab::new("startup"))?;
    let ns = io(lab.netns("multi"))?;
    for i in 1..=3 {
        io(lab.veth((&ns, &format!("v{i}")), (&ns, &format!("p{i}"))))?;
    }
    for (dev, cidr) in [
        ("v1", "10.1.0.1/24"),
        ("v2", "10.2.0.1/24"),
        ("v3", "10.3.0.1/24"),
        ("p2", "10.2.0.9/24"),
    ] {
        io(lab.addr(&ns, dev, cidr))?;
    }
    let two = write(
        &lab,
        "two.conf",
        "subnet 10.1.0.0 netmask 255.255.255.0 {}\nsubnet 10.2.0.0 netmask 255.255.255.0 {}\n",
    )?;
    let none = write(&lab, "none.conf", "subnet 10.9.0.0 netmask 255.255.255.0 {}\n")?;
    let cases: [(&str, &[&str]); 3] = [(&two, &[]), (&two, &["v3", "v1", "nosuch"]), (&none, &[])];
    for (conf, ifaces) in cases {
        let [isc, ours] = startup_pair(&mut lab, &ns, conf, ifaces)?;
        ensure(!isc.0.is_empty(), || {
            format!("no interface lines from ISC for {ifaces:?}")
        })?;
        ensure(isc == ours, || {
            format!(
                "{conf} {ifaces:?}:\n--- ISC (status {:?})\n{}\n--- ours (status {:?})\n{}",
                isc.1,
                isc.0.join("\n"),
                ours.1,
                ours.0.join("\n")
            )
        })?;
    }
    Ok(())
}
