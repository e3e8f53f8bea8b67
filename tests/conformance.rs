//! Runs every conformance folder and compares with ISC's recorded verdicts.
//!
//! Prints one line per disagreement and the parity figures. The goal is
//! 100% accept/reject parity and >= 95% first-error parity on rejected
//! configs. Until the parser reaches it, `conformance/parity-floor.txt`
//! records the figures reached so far and the test fails if they regress;
//! once the goal is met the floor file is removed and the goal is asserted.

use std::path::Path;

use dhcpd::conf::conformance::run_dir;

fn report(folder: &str) -> (usize, usize, usize, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance").join(folder);
    let results = run_dir(&dir).expect("verdicts.tsv readable");
    let total = results.len();
    let verdict_ok = results.iter().filter(|r| r.verdict_ok).count();
    let rejected: Vec<_> = results.iter().filter(|r| r.expected.exit_code != 0).collect();
    let first_ok = rejected.iter().filter(|r| r.first_error_ok).count();
    for r in &results {
        if !r.verdict_ok || !r.first_error_ok {
            println!(
                "MISMATCH {}/{}: isc={} [{}] ours=[{}]",
                folder,
                r.expected.file,
                r.expected.exit_code,
                r.expected.first_error,
                r.ours.clone().unwrap_or_default()
            );
        }
    }
    println!(
        "conformance {}: verdict parity {}/{} ({:.1}%), first-error parity {}/{} rejected ({:.1}%)",
        folder,
        verdict_ok,
        total,
        100.0 * verdict_ok as f64 / total.max(1) as f64,
        first_ok,
        rejected.len(),
        100.0 * first_ok as f64 / rejected.len().max(1) as f64
    );
    (verdict_ok, total, first_ok, rejected.len())
}

#[test]
fn conformance_public_and_seeds() {
    let mut v = 0;
    let mut t = 0;
    let mut f = 0;
    let mut r = 0;
    for folder in ["public", "seeds", "ours"] {
        if !Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance").join(folder).join("verdicts.tsv").exists() {
            continue;
        }
        let (a, b, c, d) = report(folder);
        v += a;
        t += b;
        f += c;
        r += d;
    }
    println!("conformance total: verdict {}/{}, first error {}/{}", v, t, f, r);
    match read_floor() {
        Some((min_verdict, min_first)) => {
            println!("goal not reached yet: floor is verdict >= {}, first error >= {}", min_verdict, min_first);
            assert!(v >= min_verdict, "verdict parity regressed: {} < {}", v, min_verdict);
            assert!(f >= min_first, "first-error parity regressed: {} < {}", f, min_first);
        }
        None => {
            assert_eq!(v, t, "accept/reject parity must be 100%");
            assert!(f * 100 >= r * 95, "first-error parity below 95%: {}/{}", f, r);
        }
    }
}

// ----- the same cases through the real binary ------------------------------

mod binary {
    //! Runs `dhcpd -4 -t -cf NAME.conf -lf <empty temp file> -pf <temp>` from
    //! each conformance folder exactly as `conformance/run-oracle.sh` ran ISC,
    //! cleans the output the way its `clean()` does (banner and footer lines
    //! dropped, the temp directory written `TMP`, NULs removed, `cat -v`),
    //! and compares the verdict and first error line with `verdicts.tsv`.
    //! Byte-identical full outputs (`oracle-output/NAME.out`) are counted and
    //! printed, not asserted: the first error is the acceptance bar.

    use std::path::{Path, PathBuf};
    use std::process::Command;

    use dhcpd::conf::conformance::{read_verdicts, reduce_first_error};
    use dhcpd::conf::diag::FATAL_FOOTER;

    /// Lines `clean()` drops besides ISC's banner: ours, the footer, `exiting.`.
    fn is_boilerplate(line: &[u8]) -> bool {
        line == dhcpd::cli::BANNER.as_bytes()
            || line == b"exiting."
            || FATAL_FOOTER.iter().any(|f| f.as_bytes() == line)
    }

    /// `cat -v`: control characters as `^X`, DEL as `^?`, high bytes as `M-`.
    fn cat_v(line: &[u8], out: &mut Vec<u8>) {
        for &b in line {
            let (meta, c) = if b >= 128 { (true, b - 128) } else { (false, b) };
            if meta {
                out.extend_from_slice(b"M-");
            }
            match c {
                b'\t' if !meta => out.push(b'\t'),
                0..=31 => out.extend_from_slice(&[b'^', c + 64]),
                127 => out.extend_from_slice(b"^?"),
                _ => out.push(c),
            }
        }
    }

    fn replace_all(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(hay.len());
        let mut i = 0;
        while i < hay.len() {
            if !needle.is_empty() && hay[i..].starts_with(needle) {
                out.extend_from_slice(with);
                i += needle.len();
            } else {
                out.push(hay[i]);
                i += 1;
            }
        }
        out
    }

    /// `run-oracle.sh`'s `clean()`.
    pub fn clean(raw: &[u8], tmp: &Path) -> Vec<u8> {
        let text = replace_all(raw, tmp.to_string_lossy().as_bytes(), b"TMP");
        let mut out = Vec::new();
        for line in text.split_inclusive(|&b| b == b'\n') {
            let (body, nl) = match line.strip_suffix(b"\n") {
                Some(b) => (b, true),
                None => (line, false),
            };
            if is_boilerplate(body) {
                continue;
            }
            let body: Vec<u8> = body.iter().copied().filter(|&b| b != 0).collect();
            cat_v(&body, &mut out);
            if nl {
                out.push(b'\n');
            }
        }
        out
    }

    /// `run-oracle.sh`'s `first_error()` over a cleaned output.
    pub fn first_error(cleaned: &[u8], status: i32) -> String {
        let text = String::from_utf8_lossy(cleaned);
        let located = text.lines().find(|l| {
            l.find(" line ").is_some_and(|i| {
                i > 0 && {
                    let rest = &l[i + 6..];
                    let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
                    digits > 0 && rest[digits..].starts_with(": ")
                }
            })
        });
        if let Some(l) = located {
            return reduce_first_error(l);
        }
        if status == 0 {
            return String::new();
        }
        if status >= 128 && status != 255 {
            return format!("(killed by signal {})", status - 128);
        }
        text.lines()
            .filter(|l| !(l.starts_with("Config file: ") || l.starts_with("Database file: ") || l.starts_with("PID file: ")))
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string()
    }

    pub struct Tally {
        pub total: usize,
        pub verdict_ok: usize,
        pub rejected: usize,
        pub first_ok: usize,
        pub identical: usize,
        pub with_output: usize,
    }

    pub fn run_folder(folder: &str, tmp: &Path) -> Tally {
        let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance").join(folder);
        let cases = read_verdicts(&dir).expect("verdicts.tsv readable");
        let mut t = Tally { total: 0, verdict_ok: 0, rejected: 0, first_ok: 0, identical: 0, with_output: 0 };
        let leases = tmp.join("dhcpd.leases");
        let pid = tmp.join("dhcpd.pid");
        for case in cases {
            std::fs::write(&leases, b"").unwrap();
            let _ = std::fs::remove_file(&pid);
            let out = Command::new(env!("CARGO_BIN_EXE_dhcpd"))
                .args(["-4", "-t", "-cf", &case.file, "-lf"])
                .arg(&leases)
                .arg("-pf")
                .arg(&pid)
                .current_dir(&dir)
                .env_remove("PATH_DHCPD_CONF")
                .env_remove("PATH_DHCPD_DB")
                .env_remove("PATH_DHCPD_PID")
                .env_remove("DHCPD_PORT")
                .output()
                .expect("dhcpd runs");
            // The binary writes nothing to stdout; `2>&1` order is stderr's.
            let mut raw = out.stdout.clone();
            raw.extend_from_slice(&out.stderr);
            let status = out.status.code().unwrap_or_else(|| {
                use std::os::unix::process::ExitStatusExt;
                128 + out.status.signal().unwrap_or(0)
            });
            let cleaned = clean(&raw, tmp);
            let ours = first_error(&cleaned, status);
            let isc_ok = case.exit_code == 0;
            t.total += 1;
            let verdict_ok = isc_ok == (status == 0);
            t.verdict_ok += verdict_ok as usize;
            let first_ok = if isc_ok { status == 0 } else { ours == case.first_error };
            if !isc_ok {
                t.rejected += 1;
                t.first_ok += first_ok as usize;
            }
            let oracle = dir.join("oracle-output").join(case.file.replace(".conf", ".out"));
            if let Ok(expected) = std::fs::read(&oracle) {
                t.with_output += 1;
                if expected == cleaned {
                    t.identical += 1;
                }
            }
            if !verdict_ok || !first_ok {
                println!(
                    "BINARY MISMATCH {}/{}: isc={} [{}] ours={} [{}]",
                    folder, case.file, case.exit_code, case.first_error, status, ours
                );
            }
        }
        println!(
            "binary conformance {}: verdict {}/{}, first error {}/{} rejected, full output identical {}/{}",
            folder, t.verdict_ok, t.total, t.first_ok, t.rejected, t.identical, t.with_output
        );
        t
    }

    #[test]
    fn clean_matches_run_oracle() {
        let tmp = Path::new("/tmp/x.1");
        let raw = format!(
            "{}\nConfig file: a.conf\nDatabase file: /tmp/x.1/dhcpd.leases\nbad \x01\u{7f}\n\n{}\n\nexiting.\n",
            dhcpd::cli::BANNER,
            FATAL_FOOTER.join("\n")
        );
        let mut raw = raw.into_bytes();
        raw.extend_from_slice(b"nul\0 and \xe9\n");
        let c = clean(&raw, tmp);
        assert_eq!(
            String::from_utf8(c.clone()).unwrap(),
            "Config file: a.conf\nDatabase file: TMP/dhcpd.leases\nbad ^A^?\n\n\nnul and M-i\n"
        );
        assert_eq!(first_error(&c, 1), "bad ^A^?");
        assert_eq!(first_error(b"x/y/f.conf line 3: oops\n", 1), "f.conf line 3: oops");
        assert_eq!(first_error(b"", 139), "(killed by signal 11)");
        assert_eq!(first_error(b"Config file: x\n", 0), "");
    }
}

#[test]
fn conformance_through_the_binary() {
    let tmp = std::env::temp_dir().join(format!("dhcpd-rs-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let tmp = std::fs::canonicalize(&tmp).unwrap();
    let (mut v, mut t, mut f, mut r, mut same, mut outs) = (0, 0, 0, 0, 0, 0);
    for folder in ["public", "seeds", "ours"] {
        if !Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance").join(folder).join("verdicts.tsv").exists() {
            continue;
        }
        let tally = binary::run_folder(folder, &tmp);
        v += tally.verdict_ok;
        t += tally.total;
        f += tally.first_ok;
        r += tally.rejected;
        same += tally.identical;
        outs += tally.with_output;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    println!("binary conformance total: verdict {}/{}, first error {}/{}, identical output {}/{}", v, t, f, r, same, outs);
    assert!(t > 0, "no conformance cases found");
    match read_floor() {
        Some((min_verdict, min_first)) => {
            println!("goal not reached yet: floor is verdict >= {}, first error >= {}", min_verdict, min_first);
            assert!(v >= min_verdict, "binary verdict parity regressed: {} < {}", v, min_verdict);
            assert!(f >= min_first, "binary first-error parity regressed: {} < {}", f, min_first);
        }
        None => {
            assert_eq!(v, t, "accept/reject parity through the binary must be 100%");
            assert!(f * 100 >= r * 95, "first-error parity through the binary below 95%: {}/{}", f, r);
        }
    }
}

/// The ratchet in `conformance/parity-floor.txt`: (verdicts, first errors)
/// that must keep agreeing, or `None` once the goal is asserted instead.
fn read_floor() -> Option<(usize, usize)> {
    let floor = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance").join("parity-floor.txt");
    let text = std::fs::read_to_string(floor).ok()?;
    let nums: Vec<usize> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.split_whitespace())
        .filter_map(|w| w.parse().ok())
        .collect();
    Some((nums[0], nums[1]))
}
