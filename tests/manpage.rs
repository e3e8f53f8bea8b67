//! Keeps `docs/dhcpd.8` true to the program it documents.
//!
//! The manual page is written by hand (roff reads better written than generated), so
//! these tests tie it to its sources instead: the OPTIONS entries are exactly the flag
//! table (`dhcpd::cli::FLAGS`) in its order, the SYNOPSIS says what the usage text says,
//! and the NOT AVAILABLE YET list names what the binary refuses (asked with `-t`/`-T`
//! only, which never touch the network) and what the README lists.

use std::path::{Path, PathBuf};
use std::process::Command;

use dhcpd::cli::{usage_text, FLAGS};

const PAGE: &str = include_str!("../docs/dhcpd.8");
const README: &str = include_str!("../README.md");

/// The lines of one `.SH` section, without its heading.
fn section(name: &str) -> Vec<&'static str> {
    let heading = format!(".SH {}", name);
    let mut lines = PAGE.lines().skip_while(|l| *l != heading);
    assert!(lines.next().is_some(), "docs/dhcpd.8 has no {} section", heading);
    lines.take_while(|l| !l.starts_with(".SH ")).collect()
}

/// The arguments of a macro line, with roff's double quotes grouping words.
fn macro_args(rest: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in rest.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    args.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        args.push(cur);
    }
    args
}

/// Roff source to plain words: font escapes and macro names dropped, `\-` made `-`,
/// the arguments of the alternating-font macros (`.BR`, `.BI`, ...) run together as
/// roff prints them, spacing collapsed.
fn plain(lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines {
        let text = match line.split_once(' ') {
            Some((mac, rest)) if mac.starts_with('.') => {
                let args = macro_args(rest);
                if matches!(mac, ".BR" | ".RB" | ".BI" | ".IB" | ".IR" | ".RI") {
                    args.concat()
                } else {
                    args.join(" ")
                }
            }
            None if line.starts_with('.') => continue,
            _ => line.to_string(),
        };
        out.push_str(&text.replace("\\fB", "").replace("\\fI", "").replace("\\fR", "").replace("\\-", "-"));
        out.push(' ');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The flag each OPTIONS entry documents: the first word of the line after `.TP`.
fn documented_flags() -> Vec<String> {
    let lines = section("OPTIONS");
    let mut flags = Vec::new();
    for pair in lines.windows(2) {
        if pair[0] == ".TP" {
            let first = pair[1].split_whitespace().nth(1).unwrap_or_default();
            flags.push(first.replace("\\-", "-"));
        }
    }
    flags
}

#[test]
fn options_are_the_flag_table_in_order() {
    let table: Vec<&str> = FLAGS.iter().map(|f| f.name).collect();
    assert_eq!(documented_flags(), table);
}

#[test]
fn synopsis_is_the_usage_text() {
    let usage = usage_text("dhcpd");
    let usage = usage.strip_prefix("Usage: ").expect("usage text starts with Usage:");
    let usage = usage.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(plain(&section("SYNOPSIS")), usage);
}

#[test]
fn plain_rendering_drops_markup() {
    let roff = [".B dhcpd", "[\\fB\\-cf\\fR \\fIfile\\fR]", ".br", ".BI \\-p \" port\"", ".BR \\-t );", ".B \"a  b\""];
    assert_eq!(plain(&roff), "dhcpd [-cf file] -p port -t); a b");
}

/// A scratch directory with a configuration ISC and we accept, and an empty lease file.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("dhcpd-rs-manpage-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ok.conf"), "subnet 192.0.2.0 netmask 255.255.255.0 { }\n").unwrap();
        std::fs::write(dir.join("l.leases"), "").unwrap();
        Scratch(dir)
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs our binary in test mode; true when it says the feature asked for is missing.
fn refused(dir: &Scratch, args: &[&str]) -> bool {
    let out = Command::new(env!("CARGO_BIN_EXE_dhcpd"))
        .args(args)
        .args(["-cf", &dir.path("ok.conf"), "-lf", &dir.path("l.leases"), "-pf", &dir.path("pid")])
        .current_dir(Path::new(&dir.0))
        .env_clear()
        .output()
        .expect("run dhcpd");
    let text = String::from_utf8_lossy(&out.stderr);
    let missing = text.contains("not available yet") || text.contains("not supported");
    assert!(!missing || out.status.code() == Some(1), "refused but exit status {:?}: {}", out.status, text);
    missing
}

#[test]
fn not_available_list_matches_the_binary() {
    let dir = Scratch::new();
    let listed = plain(&section("NOT AVAILABLE YET"));
    let trace = dir.path("t.trace");
    let probes: [(&str, Vec<&str>); 3] = [
        ("the lease file test, -T", vec!["-T"]),
        ("trace recording, -tf", vec!["-t", "-tf", &trace]),
        ("trace playback, -play", vec!["-t", "-play", &trace]),
    ];
    for (item, args) in probes {
        assert_eq!(
            refused(&dir, &args),
            listed.contains(item),
            "dhcpd {:?} and the man page's NOT AVAILABLE YET ({:?}) disagree",
            args,
            listed
        );
    }
    // -6 is refused for good, so it is a difference rather than a missing part.
    assert!(refused(&dir, &["-t", "-6"]));
    assert!(plain(&section("DIFFERENCES FROM ISC DHCPD")).contains("DHCPv6 is not served: -6 is refused"));
    assert!(plain(&section("OPTIONS")).contains("Serve DHCPv6: refused"));
}

#[test]
fn not_available_list_matches_the_readme_on_serving() {
    // Serving is never started from a test; the README is where its status is kept.
    let readme = README.split("Not available yet").nth(1).expect("README has a Not available yet paragraph");
    let readme = readme.split("\n\n").next().unwrap_or_default();
    let listed = plain(&section("NOT AVAILABLE YET"));
    assert_eq!(readme.contains("serving DHCP"), listed.contains("serving DHCP (running without -t)"));
}
