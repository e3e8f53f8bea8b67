//! `dhcpd -T` against ISC's: the built binary and `/usr/sbin/dhcpd` test the
//! same configuration and lease file (a private copy each time; `-T` only
//! reads it and writes a temporary file next to it) and must print the same
//! lines and exit with the same status. ISC's four banner lines are replaced
//! by our one and the temporary file's `.<time>` suffix is normalised.
//!
//! The only expected differences are the torn-tail fixtures: there we drop
//! the cut record with our warning where ISC keeps a half-read lease.
//! Without ISC installed the comparisons are skipped (said on stderr) and
//! only our own assertions run.

use std::path::{Path, PathBuf};
use std::process::Command;

const ISC: &str = "/usr/sbin/dhcpd";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("dhcpd-rs-lease-cli-{}-{}", tag, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `bin -4 -T -cf conf -lf <copy of leases>`; returns status and
/// normalised stderr lines (banner dropped, temporary suffix replaced).
fn run(bin: &str, conf: &Path, leases: &Path, dir: &Path) -> (i32, Vec<String>) {
    let copy = dir.join("dhcpd.leases");
    std::fs::copy(leases, &copy).unwrap();
    let out = Command::new(bin)
        .args(["-4", "-T", "-cf"])
        .arg(conf)
        .arg("-lf")
        .arg(&copy)
        .arg("-pf")
        .arg(dir.join("pid"))
        .env_remove("PATH_DHCPD_DB")
        .env_remove("PATH_DHCPD_CONF")
        .env_remove("PATH_DHCPD_PID")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    let skip = if bin == ISC { 4 } else { 1 };
    let temp = format!("{}.", copy.display());
    let lines = text
        .lines()
        .skip(skip)
        .map(|l| match l.find(&temp) {
            Some(i) if l[i + temp.len()..].bytes().all(|b| b.is_ascii_digit()) => {
                format!("{}{}TIME", &l[..i], temp)
            }
            _ => l.to_string(),
        })
        .collect();
    // The lease file must be untouched and no temporary file left.
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(leases).unwrap(), "{} changed the lease file", bin);
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(left.iter().all(|n| n == "dhcpd.leases" || n == "pid"), "{} left {:?}", bin, left);
    (out.status.code().unwrap_or(-1), lines)
}

/// Every (config, lease file) pair we compare.
fn cases() -> Vec<(PathBuf, PathBuf)> {
    let data = root().join("tests/data/leases");
    let seeds = root().join("conformance/seeds");
    let mut v = vec![
        (data.join("isc-rich.conf"), data.join("isc-input-rich.leases")),
        (data.join("isc-rich.conf"), data.join("isc-rewrite-rich.leases")),
        (data.join("lab-primary.conf"), data.join("lab-primary.leases")),
        (data.join("lab-secondary.conf"), data.join("lab-secondary.leases")),
        (seeds.join("fr-secondary.conf"), data.join("input-failover-merge.leases")),
        (seeds.join("fr-secondary.conf"), data.join("isc-rewrite-failover-merge.leases")),
    ];
    for conf in ["fr-primary", "fr-secondary", "fr-primary-partner-down", "fr-secondary-partner-down", "es-primary"] {
        for leases in ["fr-primary", "fr-primary-sync", "fr-primary-initial", "fr-secondary-sync"] {
            v.push((seeds.join(format!("{}.conf", conf)), seeds.join(format!("{}.leases", leases))));
        }
    }
    for e in std::fs::read_dir(data.join("errors")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "leases") {
            v.push((seeds.join("fr-primary.conf"), p));
        }
    }
    for e in std::fs::read_dir(data.join("startup")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "conf") {
            v.push((p.clone(), p.with_extension("leases")));
        }
    }
    v.sort();
    v
}

fn is_torn_fixture(leases: &Path) -> bool {
    leases.file_name().is_some_and(|n| n.to_string_lossy().starts_with("torn-"))
}

#[test]
fn lease_file_test_prints_what_isc_prints() {
    let s = Scratch::new("same");
    let ours_bin = env!("CARGO_BIN_EXE_dhcpd");
    let have_isc = Path::new(ISC).exists();
    if !have_isc {
        eprintln!("{} not installed: -T comparisons skipped, only our own checks run", ISC);
    }
    let cases = cases();
    assert!(cases.len() > 40, "{}", cases.len());
    let mut compared = 0;
    for (conf, leases) in &cases {
        let ours = run(ours_bin, conf, leases, &s.0);
        let label = format!("{} with {}", leases.display(), conf.display());
        assert_eq!(ours.0, 0, "{}: {:?}", label, ours.1);
        let n = ours.1.len();
        assert!(n >= 2, "{}: {:?}", label, ours.1);
        assert!(ours.1[n - 2].starts_with("Wrote ") && ours.1[n - 2].ends_with(" leases to leases file."), "{}", label);
        assert!(ours.1[n - 1].starts_with("Lease file test successful, removing temp lease file: "), "{}", label);
        if !have_isc {
            continue;
        }
        let isc = run(ISC, conf, leases, &s.0);
        if is_torn_fixture(leases) {
            // ISC keeps the half record; we drop it and say where it starts.
            let torn: Vec<&String> = ours.1.iter().filter(|l| l.contains("(torn write); dropped.")).collect();
            assert_eq!(torn.len(), 1, "{}: {:?}", label, ours.1);
            assert!(torn[0].contains(" line ") && torn[0].contains("dhcpd.leases"), "{}", torn[0]);
            let strip = |v: &[String]| -> Vec<String> {
                v.iter()
                    .filter(|l| {
                        !l.contains("(torn write)")
                            && !l.starts_with("Lease with bogus binding state")
                            && !l.starts_with("Wrote ")
                    })
                    .cloned()
                    .collect()
            };
            assert_eq!(strip(&ours.1), strip(&isc.1), "{}", label);
        } else {
            assert_eq!(ours, isc, "{}", label);
        }
        compared += 1;
    }
    if have_isc {
        assert_eq!(compared, cases.len());
    }
}

#[test]
fn a_missing_lease_file_is_iscs_fatal_error() {
    let s = Scratch::new("missing");
    let conf = root().join("tests/data/leases/lab-primary.conf");
    let missing = s.0.join("nope.leases");
    let mut args = vec!["-4".to_string(), "-T".into(), "-cf".into(), conf.display().to_string()];
    args.extend(["-lf".into(), missing.display().to_string(), "-pf".into(), s.0.join("pid").display().to_string()]);
    let out = Command::new(env!("CARGO_BIN_EXE_dhcpd")).args(&args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1));
    let expect = format!(
        "Can't open lease database {}: No such file or directory --\n  check for failed database rewrite attempt!\nPlease read the dhcpd.leases manual page if you\ndon't know what to do about this.\n\n",
        missing.display()
    );
    assert!(text.contains(&expect), "{}", text);
    assert!(text.ends_with("exiting.\n"), "{}", text);
    if Path::new(ISC).exists() {
        let isc = Command::new(ISC).args(&args).output().unwrap();
        let isc_text = String::from_utf8_lossy(&isc.stderr).into_owned();
        let tail =
            |t: &str| t.lines().skip_while(|l| !l.starts_with("Can't open")).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(tail(&text), tail(&isc_text));
        assert_eq!(out.status.code(), isc.status.code());
    }
    // A directory is opened but cannot be read.
    let args2: Vec<String> = args
        .iter()
        .map(|a| if *a == missing.display().to_string() { s.0.display().to_string() } else { a.clone() })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_dhcpd")).args(&args2).output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains(&format!("Can't read in {}: Is a directory\n", s.0.display())), "{}", text);
}

#[test]
fn the_configurations_lease_file_name_wins_as_in_isc() {
    let s = Scratch::new("lfname");
    let leases = s.0.join("from-config.leases");
    std::fs::write(&leases, "lease 10.0.0.11 { binding state active; hardware ethernet 00:11:22:33:44:55; }\n")
        .unwrap();
    let conf = s.0.join("c.conf");
    std::fs::write(
        &conf,
        format!(
            "lease-file-name \"{}\";\nsubnet 10.0.0.0 netmask 255.255.255.0 {{ range 10.0.0.10 10.0.0.20; }}\n",
            leases.display()
        ),
    )
    .unwrap();
    let other = s.0.join("ignored.leases");
    std::fs::write(&other, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dhcpd"))
        .args(["-4", "-T", "-cf"])
        .arg(&conf)
        .arg("-lf")
        .arg(&other)
        .arg("-pf")
        .arg(s.0.join("pid"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(text.contains(&format!("Database file: {}\n", leases.display())), "{}", text);
    assert!(text.contains("Wrote 1 leases to leases file.\n"), "{}", text);
}
