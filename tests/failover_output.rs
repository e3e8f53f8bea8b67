//! Whole-output parity for the failover grammar: for each failover case
//! (conformance/public/failover-*.conf and the ones we made,
//! conformance/ours/failover-*.conf), every line we print must be the line
//! ISC printed (recorded in oracle-output/), in order — not only the first
//! error the conformance runner compares.
//!
//! A case whose output still shows another family's placeholder ("... is
//! not supported yet.") is left to the conformance runner until that family
//! lands; the test reports how many it left.

use std::path::Path;

use dhcpd::conf::check_config;
use dhcpd::conf::conformance::DirLoader;

/// `cat -v`, which the oracle applied to ISC's output.
fn cat_v(line: &[u8]) -> String {
    let mut out = String::new();
    for &b in line {
        let mut c = b;
        if c >= 0x80 {
            out.push_str("M-");
            c -= 0x80;
        }
        match c {
            b'\t' if b < 0x80 => out.push('\t'),
            0..=0x1f => {
                out.push('^');
                out.push((c + 0x40) as char);
            }
            0x7f => out.push_str("^?"),
            _ => out.push(c as char),
        }
    }
    out
}

/// Our output as ISC would print it (without banner and footer).
fn our_lines(dir: &Path, file: &str) -> Vec<String> {
    let outcome = check_config(file, &DirLoader(dir.to_path_buf()));
    let mut lines: Vec<String> = outcome
        .diagnostics
        .iter()
        .flat_map(|d| d.render())
        .map(|l| cat_v(&l))
        .collect();
    if let Some(f) = &outcome.fatal {
        lines.push(f.clone());
    }
    lines
}

/// ISC's recorded output less the lines the command line prints and the
/// blank lines before its footer.
fn isc_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("oracle output readable");
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| {
            !(l.starts_with("Config file: ") || l.starts_with("Database file: ") || l.starts_with("PID file: "))
        })
        .map(str::to_string)
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Whether our output shows a grammar family that is not written yet.
fn needs_unfinished_family(lines: &[String]) -> bool {
    lines.iter().any(|l| l.ends_with("is not supported yet."))
}

#[test]
fn failover_cases_print_what_isc_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut checked = 0;
    let mut left = Vec::new();
    let mut failures = Vec::new();
    for folder in ["public", "ours"] {
        let dir = root.join(folder);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("conformance folder exists")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.starts_with("failover-") && n.ends_with(".conf"))
            .collect();
        names.sort();
        for name in &names {
            let expected = isc_lines(&dir.join("oracle-output").join(name.replace(".conf", ".out")));
            let ours = our_lines(&dir, name);
            if needs_unfinished_family(&ours) {
                left.push(format!("{}/{}", folder, name));
                continue;
            }
            checked += 1;
            if ours != expected {
                failures.push(format!(
                    "{}/{}:\n--- isc\n{}\n--- ours\n{}",
                    folder,
                    name,
                    expected.join("\n"),
                    ours.join("\n")
                ));
            }
        }
    }
    println!("failover whole-output: {} checked, {} left for unfinished families: {:?}", checked, left.len(), left);
    assert!(checked >= 80, "too few failover cases checked: {}", checked);
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), checked, failures.join("\n"));
}
